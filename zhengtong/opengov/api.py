from ninja import Router

router = Router(tags=["opengov"])
PUBLIC_OPERATIONS: set[str] = set()
