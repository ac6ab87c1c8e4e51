"""Writes of the datause module, one module per use case:

- ``requests``: data requests (数据需求): ask, support, answer with one of four outcomes, fulfil
- ``feedback``: error reports (纠错), the moderated discussion and ratings of a dataset
- ``reuses``: reuses (开放应用), their review, and data-innovation campaigns
- ``quality``: the quality score and the timeliness check (periodic scan, publishers told)
- ``follows``: following datasets, departments and requests; telling followers
- ``notices``: receivers of the catalogue's hooks (new versions, decided applications)

Callers import from this package (``from zhengtong.datause import services``).
"""

from zhengtong.datause.services.feedback import (
    comment_moderate,
    comment_post,
    error_report_file,
    error_report_reject,
    error_report_resolve,
    rating_set,
)
from zhengtong.datause.services.follows import follow_set
from zhengtong.datause.services.notices import application_decided, version_published
from zhengtong.datause.services.quality import quality_score, status_refresh, status_scan
from zhengtong.datause.services.requests import (
    request_answer,
    request_fulfil,
    request_submit,
    request_support,
    request_withdraw,
)
from zhengtong.datause.services.reuses import (
    campaign_create,
    campaign_results,
    reuse_publish,
    reuse_reject,
    reuse_submit,
    reuse_withdraw,
)

__all__ = [
    "application_decided",
    "campaign_create",
    "campaign_results",
    "comment_moderate",
    "comment_post",
    "error_report_file",
    "error_report_reject",
    "error_report_resolve",
    "follow_set",
    "quality_score",
    "rating_set",
    "request_answer",
    "request_fulfil",
    "request_submit",
    "request_support",
    "request_withdraw",
    "reuse_publish",
    "reuse_reject",
    "reuse_submit",
    "reuse_withdraw",
    "status_refresh",
    "status_scan",
    "version_published",
]
