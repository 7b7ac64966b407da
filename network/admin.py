from django.contrib import admin

from network.models import OutletVisit, SubBranchTarget, TargetChange, TrainingAttendance, TrainingSession, VisitAction

admin.site.register(SubBranchTarget)
admin.site.register(TargetChange)
admin.site.register(OutletVisit)
admin.site.register(VisitAction)
admin.site.register(TrainingSession)
admin.site.register(TrainingAttendance)
