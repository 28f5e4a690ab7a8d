#!/usr/bin/env bash
# docker cp in (HEAD + PUT archive) and out (GET archive), contents compared.
. "$(dirname "$0")/lib.sh"; sw_test_init
c=$(uniq_name cp); on_exit_rm_container "$c"
docker run -d --name "$c" "$SW_IMAGE" sleep 300 >/dev/null
head -c 300000 /dev/urandom > in.bin
echo "hello cp" > small.txt
docker cp in.bin "$c:/tmp/in.bin"
docker cp small.txt "$c:/tmp/"
out=$(docker exec "$c" cat /tmp/small.txt)
assert_eq "hello cp" "$out" "file copied in"
docker cp "$c:/tmp/in.bin" out.bin
cmp in.bin out.bin || fail "copied out file differs"
mkdir d && docker cp "$c:/etc" d/
[ -s d/etc/passwd ] || fail "directory copy out lacks etc/passwd"
docker cp "$c:/tmp/small.txt" - | tar -xOf - > streamed.txt
assert_eq "hello cp" "$(cat streamed.txt)" "cp to stdout"
