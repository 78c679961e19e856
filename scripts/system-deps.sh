#!/usr/bin/env bash
# System packages Chengyun needs beyond Python itself:
#   python3-venv     to create .venv (Debian splits venv out of python3)
#   chromium         headless browser for the browser tests (Playwright drives Debian's build)
#   fonts-noto-cjk   Chinese glyphs in charts, reports and screenshots
# Installed with apt-get when missing and running as root; otherwise say what is missing.
set -u
missing=()
python3 -c "import venv, ensurepip" 2>/dev/null || missing+=(python3-venv)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if ! ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1; then missing+=(fonts-noto-cjk); fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "安装系统软件包：${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
    echo "apt-get 安装失败：${missing[*]}" >&2; exit 1; }
else
  echo "提示：缺少系统软件包 ${missing[*]}（请以 root 运行 make，或手动 apt-get install）。" >&2
  # venv is indispensable; the others only disable browser tests and CJK glyphs.
  for m in "${missing[@]}"; do [ "$m" = python3-venv ] && exit 1; done
fi
exit 0
