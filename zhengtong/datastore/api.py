from ninja import Router

router = Router(tags=["datastore"])

# Operation ids of this router that anyone may call without logging in (zhengtong.api unions them).
PUBLIC_OPERATIONS: set[str] = set()
