"""Settings of the workspace module (imported into zhengtong.settings; names are upper-case).

Read through the helpers of zhengtong.conf so they are declared and documented
(docs/configuration.md, section "Workspace")."""

from zhengtong.conf import env_bool, env_int, env_str

# Staff may start a one-to-one conversation with someone outside their directory scope.
WORKSPACE_MESSAGE_OUTSIDE_SCOPE = env_bool("WORKSPACE_MESSAGE_OUTSIDE_SCOPE", False)
# An urgent notice still unread after this many minutes is sent again by SMS (DING).
WORKSPACE_URGENT_SMS_AFTER_MINUTES = env_int("WORKSPACE_URGENT_SMS_AFTER_MINUTES", 30, minimum=1)
# How often the periodic scan looks for unread urgent notices and due-soon tasks.
WORKSPACE_SCAN_INTERVAL_SECONDS = env_int("WORKSPACE_SCAN_INTERVAL_SECONDS", 60, minimum=5)
# How often each worker's delivery loop tells members about new messages (Web Push, and the
# inbox for urgent notices), after the senders' commits and in bulk (milliseconds).
WORKSPACE_DELIVERY_INTERVAL_MS = env_int("WORKSPACE_DELIVERY_INTERVAL_MS", 500, minimum=50)
# How often an open workspace page asks for the member's unread counts (seconds): how every
# member, with or without a push device, sees new messages in-app.
WORKSPACE_UNREAD_POLL_SECONDS = env_int("WORKSPACE_UNREAD_POLL_SECONDS", 15, minimum=2)
# Largest attachment accepted on a message (bytes).
WORKSPACE_ATTACHMENT_MAX_BYTES = env_int("WORKSPACE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Members of one group conversation at most.
WORKSPACE_GROUP_MAX_MEMBERS = env_int("WORKSPACE_GROUP_MAX_MEMBERS", 2000, minimum=2)
# Web Push (VAPID, RFC 8292): keys made by `manage.py workspace_vapid_keys`; no keys = no push.
WORKSPACE_VAPID_PRIVATE_KEY = env_str("WORKSPACE_VAPID_PRIVATE_KEY", "")
WORKSPACE_VAPID_PUBLIC_KEY = env_str("WORKSPACE_VAPID_PUBLIC_KEY", "")
WORKSPACE_VAPID_SUBJECT = env_str("WORKSPACE_VAPID_SUBJECT", "mailto:admin@zhengtong.invalid")
# "local": pushes are encrypted and signed as for a real push service, then recorded in the
# database (tests, demo, machines that reach no push service); "webpush": sent over HTTPS.
WORKSPACE_PUSH_BACKEND = env_str("WORKSPACE_PUSH_BACKEND", "local")
# Anonymous searches of the public knowledge base per client address per minute.
WORKSPACE_KNOWLEDGE_SEARCH_PER_MINUTE = env_int("WORKSPACE_KNOWLEDGE_SEARCH_PER_MINUTE", 60, minimum=1)
# Messages of one-to-one and group conversations older than this many days are deleted by the
# periodic scan (0: kept). Conversations of cases, incidents, tasks and departments are official
# records and are never purged here.
WORKSPACE_MESSAGE_RETENTION_DAYS = env_int("WORKSPACE_MESSAGE_RETENTION_DAYS", 0, minimum=0)
