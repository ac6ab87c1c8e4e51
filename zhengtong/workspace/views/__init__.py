"""Pages of the workspace, phone first (390 px): home, directory, messages, tasks, 督办,
approvals, documents, knowledge base; the web app manifest and the service worker. One module per
use case; ``urls.py`` reads them from here."""

from zhengtong.workspace.views.approvals import (  # noqa: F401 - the pages urls.py routes to
    approval_detail,
    approvals,
)
from zhengtong.workspace.views.conversations import (  # noqa: F401 - the pages urls.py routes to
    conversation,
    conversation_export,
    conversations,
    group_new,
    join,
    receipts,
    unread,
)
from zhengtong.workspace.views.documents import (  # noqa: F401 - the pages urls.py routes to
    acknowledge,
    document_new,
    documents,
    incoming_detail,
    outgoing_detail,
    outgoing_pdf,
)
from zhengtong.workspace.views.knowledge import (  # noqa: F401 - the pages urls.py routes to
    knowledge,
    knowledge_entry,
    knowledge_new,
)
from zhengtong.workspace.views.people import (  # noqa: F401 - the pages urls.py routes to
    directory,
    directory_entry,
    home,
)
from zhengtong.workspace.views.phone import (  # noqa: F401 - the pages urls.py routes to
    icon,
    manifest,
    push_subscription,
    service_worker,
)
from zhengtong.workspace.views.tasks import (  # noqa: F401 - the pages urls.py routes to
    supervision,
    task_detail,
    task_new,
    tasks,
)
