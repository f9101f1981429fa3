#!/usr/bin/env bash
# Starts Kannel for the tests: bearerbox and smsbox with tests/kannel/kannel.conf.in written into
# DIR, and the phones' fakesmsc printing every text Bothy sends to DIR/phones.log. Writes the
# secrets the tests need into DIR/secrets (shell syntax) and the PIDs into DIR/pids. Waits until
# smsbox answers. Run by scripts/test:   tests/kannel/start.sh DIR
set -euo pipefail
DIR=$1
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ -f "$DIR/pids" ]; then
    # An earlier run's Kannel that was not stopped.
    # shellcheck disable=SC2046
    kill $(cat "$DIR/pids") 2>/dev/null || true
    sleep 1
fi
rm -rf "$DIR"
mkdir -p "$DIR/store"
for port in 14000 14001 14010 14011 14013 14080; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port on 127.0.0.1 is taken: stop whatever uses it (another test run's Kannel?)" >&2
        exit 1
    fi
done
random() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32; }
ADMIN=$(random)
SENDSMS_PASSWORD=$(random)
INBOUND_SECRET=$(random)
sed -e "s|@DIR@|$DIR|g" -e "s|@ADMIN@|$ADMIN|g" -e "s|@SENDSMS_PASSWORD@|$SENDSMS_PASSWORD|g" \
    -e "s|@INBOUND_SECRET@|$INBOUND_SECRET|g" "$HERE/kannel.conf.in" >"$DIR/kannel.conf"
printf 'SENDSMS_PASSWORD=%s\nINBOUND_SECRET=%s\n' "$SENDSMS_PASSWORD" "$INBOUND_SECRET" >"$DIR/secrets"
/usr/sbin/bearerbox -v 4 "$DIR/kannel.conf" >"$DIR/bearerbox.out" 2>&1 &
echo $! >"$DIR/pids"
for _ in $(seq 1 50); do
    (exec 3<>/dev/tcp/127.0.0.1/14001) 2>/dev/null && break
    sleep 0.1
done
/usr/sbin/smsbox -v 4 "$DIR/kannel.conf" >"$DIR/smsbox.out" 2>&1 &
echo $! >>"$DIR/pids"
# The phones: fakesmsc in interactive mode prints what it receives; its input is held open.
mkfifo "$DIR/phones.in"
sleep infinity >"$DIR/phones.in" &
echo $! >>"$DIR/pids"
/usr/lib/kannel/test/fakesmsc -H 127.0.0.1 -r 14010 -m 0 <"$DIR/phones.in" >"$DIR/phones.log" 2>&1 &
echo $! >>"$DIR/pids"
for _ in $(seq 1 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/14013) 2>/dev/null && grep -q "Fakesmsc client connected" "$DIR/bearerbox.log" 2>/dev/null; then
        echo "Kannel is answering (sendsms on 127.0.0.1:14013), the phones are connected"
        exit 0
    fi
    sleep 0.1
done
echo "Kannel did not start: see $DIR/bearerbox.log and $DIR/smsbox.log" >&2
exit 1
