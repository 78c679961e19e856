from ninja import Router

router = Router(tags=["在线监测"])
