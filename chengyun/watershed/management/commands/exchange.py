"""``chengyun exchange``: configure the cross-boundary exchange and run its importer.

    chengyun exchange neighbour CODE NAME --secret S [--base-url URL] [--token T] [--feed FILE|URL]
    chengyun exchange link CODE [--base-url URL] [--token T] [--feed FILE|URL]
    chengyun exchange section CODE NAME --neighbour CODE --river R --lng X --lat Y --upstream neighbour|ours --target 3
    chengyun exchange pull [--neighbour CODE] [--file PATH]
    chengyun exchange export --neighbour CODE --output FILE
    chengyun exchange encrypt      (rewrite neighbours' secrets under CHENGYUN_FIELD_KEY)
"""
from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from chengyun.core.errors import DomainError


class Command(BaseCommand):
    help = "跨区域数据交换：登记相邻区县与交界断面、拉取对方数据、导出本区数据文件"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        n = sub.add_parser("neighbour", help="登记相邻区县（输出交给对方的令牌）")
        n.add_argument("code")
        n.add_argument("name")
        n.add_argument("--secret", required=True)
        n.add_argument("--base-url", default="")
        n.add_argument("--token", default="", help="对方签发给本区的令牌")
        n.add_argument("--feed", default="", help="对方数据文件路径或地址")
        k = sub.add_parser("link", help="配置对方平台地址与对方签发的令牌")
        k.add_argument("code")
        k.add_argument("--base-url", default=None)
        k.add_argument("--token", default=None)
        k.add_argument("--feed", default=None)
        s = sub.add_parser("section", help="登记交界断面")
        s.add_argument("code")
        s.add_argument("name")
        s.add_argument("--neighbour", required=True)
        s.add_argument("--river", required=True)
        s.add_argument("--lng", type=float, required=True)
        s.add_argument("--lat", type=float, required=True)
        s.add_argument("--upstream", required=True, choices=["neighbour", "ours"])
        s.add_argument("--target", type=int, required=True)
        s.add_argument("--water-section", default="", help="本区水环境断面编码")
        p = sub.add_parser("pull", help="拉取相邻区县报文")
        p.add_argument("--neighbour", default="")
        p.add_argument("--file", default="")
        e = sub.add_parser("export", help="导出发给某相邻区县的签名数据文件")
        e.add_argument("--neighbour", required=True)
        e.add_argument("--output", required=True)
        e.add_argument("--after", type=int, default=0)
        sub.add_parser("encrypt", help="用 CHENGYUN_FIELD_KEY 加密（或在更换密钥后重新加密）相邻区县的共享密钥和令牌")

    def handle(self, *args, **o):
        from chengyun.watershed.models import Neighbour
        from chengyun.watershed.services import exchange

        try:
            if o["action"] == "neighbour":
                n, key = exchange.register_neighbour(None, code=o["code"], name=o["name"], secret=o["secret"], base_url=o["base_url"],
                                                     token=o["token"], feed_url=o["feed"])
                self.stdout.write(key)
            elif o["action"] == "link":
                exchange.link_neighbour(None, Neighbour.objects.get(code=o["code"]), base_url=o["base_url"], token=o["token"], feed_url=o["feed"])
                self.stdout.write(f"已配置 {o['code']}")
            elif o["action"] == "section":
                n = Neighbour.objects.get(code=o["neighbour"])
                section = None
                if o["water_section"]:
                    from chengyun.water import services as water

                    section = water.section_by_code(o["water_section"])
                exchange.add_boundary_section(None, n, code=o["code"], name=o["name"], river=o["river"], lng=o["lng"], lat=o["lat"],
                                              upstream=o["upstream"], target_class=o["target"], section=section)
                self.stdout.write(f"已登记交界断面 {o['code']}")
            elif o["action"] == "pull":
                qs = Neighbour.objects.filter(code=o["neighbour"]) if o["neighbour"] else Neighbour.objects.all()
                for n in qs:
                    r = exchange.pull(None, n, source=o["file"] or None)
                    self.stdout.write(f"{n.name}：应用 {r['applied']} 条，跳过 {r['skipped']} 条")
            elif o["action"] == "encrypt":
                self.stdout.write(f"已加密 {exchange.encrypt_secrets()} 个相邻区县的共享密钥与令牌")
            else:
                n = Neighbour.objects.get(code=o["neighbour"])
                with open(o["output"], "w", encoding="utf-8") as f:
                    json.dump(exchange.export_feed(n, o["after"]), f, ensure_ascii=False, indent=1)
                self.stdout.write(f"已导出 {o['output']}")
        except Neighbour.DoesNotExist:
            raise CommandError("相邻区县不存在") from None
        except DomainError as exc:
            raise CommandError(exc.message) from None
