from rest_framework.test import APIRequestFactory

from core.api.exceptions import domain_exception_handler
from core.errors import DomainError


def test_a_domain_error_becomes_code_and_detail_with_its_status():
    request = APIRequestFactory().get("/")
    response = domain_exception_handler(
        DomainError("duplicate_file", "该文件已上传。", status=409, batch=7), {"request": request}
    )
    assert response is not None
    assert response.status_code == 409
    assert response.data == {"code": "duplicate_file", "detail": "该文件已上传。", "batch": 7}
