from celery import shared_task

from core.business_date import business_date_get


@shared_task(name="core.business_date_read")
def business_date_read() -> str:
    """Reads the business date from the database: lets operators (and a test) see a worker is alive."""
    return business_date_get().isoformat()
