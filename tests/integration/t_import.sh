#!/usr/bin/env bash
# docker import: a rootfs tarball streamed as the body of POST /images/create.
. "$(dirname "$0")/lib.sh"; sw_test_init
img=local/$(uniq_name imp):1; on_exit_rm_image "$img"
mkdir -p root/bin root/etc
cp /bin/busybox root/bin/busybox
ln -s busybox root/bin/sh; ln -s busybox root/bin/cat
echo imported-ok > root/etc/msg
tar --numeric-owner --owner=0 --group=0 -C root -cf rootfs.tar .
docker import -c 'CMD ["/bin/cat","/etc/msg"]' rootfs.tar "$img" >/dev/null
out=$(docker run --rm "$img")
assert_eq imported-ok "$out" "imported image output"
# and from stdin
docker import - "$img-stdin" < rootfs.tar >/dev/null; on_exit_rm_image "$img-stdin"
docker image inspect "$img-stdin" >/dev/null
