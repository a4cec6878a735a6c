"""SQLModel tables of every area; importing this package registers them all on SQLModel.metadata."""

from sqlmodel import SQLModel

from data_models.cooperative import (
    Cooperative,
    CooperativeSplit,
    DistributionLine,
    DistributionRun,
    FundSpending,
    Member,
    Sale,
)
from data_models.core import AuditLog, Community, ImportBatch, ImportChange, Party, User
from data_models.data_version import DataVersion
from data_models.live import (
    CaseCheck,
    CaseEvent,
    CaseParty,
    CaseRequest,
    CommentBatch,
    CommentCandidate,
    CommentColumnMap,
    ConsultationCase,
    LivestreamComment,
)
from data_models.livestream import (
    CalendarDay,
    LivestreamSession,
    Request,
    RequestCallback,
    RequestEvent,
    RequestSla,
    RequestSupport,
    Unit,
)
from data_models.meeting import (
    ActionItem,
    ActionUpdate,
    AgendaItem,
    Decision,
    Meeting,
    MeetingAttendance,
    MinutesAddendum,
    MinutesSignature,
)
from data_models.need_stats import NeedStat, NeedStatDirty, PractitionerStat, PractitionerStatQuarter, SaleStat
from data_models.needs import NeedAssessment, NeedEvent, Practitioner, PractitionerGroup
from data_models.report import ReportConfirmation, ReportVersion
from data_models.request_stats import RequestStat
from data_models.training import Certificate, Course, Enrolment, SubsidyRule, TrainingFollowup
from data_models.training_stats import TrainingStat, TrainingStatDirty, TrainingStatDue, TrainingStatEmployed

metadata = SQLModel.metadata

__all__ = [
    "ActionItem", "ActionUpdate", "AgendaItem", "AuditLog", "CalendarDay", "CaseCheck", "CaseEvent", "CaseParty",
    "CaseRequest", "Certificate", "CommentBatch", "CommentCandidate", "CommentColumnMap", "Community",
    "ConsultationCase", "Cooperative", "CooperativeSplit", "Course", "DataVersion", "Decision", "DistributionLine",
    "DistributionRun", "Enrolment", "FundSpending", "ImportBatch", "ImportChange", "LivestreamComment",
    "LivestreamSession", "Meeting", "MeetingAttendance", "Member", "MinutesAddendum", "MinutesSignature",
    "NeedAssessment", "NeedEvent", "NeedStat", "NeedStatDirty", "Party", "Practitioner", "PractitionerGroup",
    "PractitionerStat", "PractitionerStatQuarter", "ReportConfirmation", "ReportVersion", "Request",
    "RequestCallback", "RequestEvent", "RequestSla", "RequestStat", "RequestSupport", "Sale", "SaleStat", "SubsidyRule",
    "TrainingFollowup",
    "TrainingStat", "TrainingStatDirty", "TrainingStatDue", "TrainingStatEmployed", "Unit", "User",
    "metadata",
]
