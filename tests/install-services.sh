#!/bin/sh
# The real servers the fleet tests start: redis-server and PostgreSQL (Debian packages), and
# python3-venv, which Debian's python3 needs for `python3 -m venv`; Pango and the DejaVu fonts
# for WeasyPrint (PDF reports), poppler-utils (pdftoppm) and chromium for the report-in-a-browser test.
# Installs them with apt-get when they are missing and we are root; otherwise says what to install.
# The tests find PostgreSQL's initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin.
set -eu
missing=""
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
python3 -c 'import ensurepip' >/dev/null 2>&1 || missing="$missing python3-venv"  # for python3 -m venv
for lib in libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils chromium; do
  dpkg -s "$lib" >/dev/null 2>&1 || missing="$missing $lib"
done
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing="$missing postgresql"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing:$missing" >&2
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing >/dev/null
  # Debian starts the services it installs; the tests run their own on free ports instead.
  for service in $missing; do
    case $service in
      redis-server) (service redis-server stop || true) >/dev/null 2>&1 ;;
      postgresql) (service postgresql stop || true) >/dev/null 2>&1 ;;
    esac
  done
else
  echo "tests/install-services.sh: the fleet tests need:$missing (as root: apt-get install$missing);" \
       "without them those tests are skipped" >&2
fi
