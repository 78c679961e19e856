"""Plausible Chinese personal names, drawn deterministically."""
from __future__ import annotations

import random

SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕俊峰晓东立新玉兰红梅文博子轩浩然欣怡雨涵思远"
         "佳怡梓涵宇航晨曦振华德明永刚春梅桂芳玉珍海军凤英国庆卫东丽娟金凤德胜学军红霞")


def person_name(rng: random.Random) -> str:
    surname = rng.choice(SURNAMES)
    if rng.random() < 0.55:
        return surname + rng.choice(GIVEN) + rng.choice(GIVEN)
    return surname + rng.choice(GIVEN)


def phone(rng: random.Random) -> str:
    return rng.choice(("139", "138", "137", "136", "135", "159", "158", "187", "186", "181", "177")) + "".join(str(rng.randrange(10)) for _ in range(8))
