/** Which connection URIs reach virsh: the documented shapes yes, anything that could run a program or is not a URI no. */
import { describe, expect, it } from 'vitest';
import { checkConnectUri } from '../../shared/vms/uri';

describe('checkConnectUri', () => {
  it.each([
    'qemu:///system',
    'qemu:///session',
    'qemu+ssh://root@gpu-box/system',
    'qemu+ssh://user@10.0.0.5:2222/system?keyfile=/home/u/.ssh/id_ed25519&no_verify=1',
    'qemu+tls://[fe80::1]:16514/system',
    'qemu+unix:///system?socket=/run/libvirt/libvirt-sock',
    'test:///default',
    'test:///srv/demo/node.xml',
  ])('accepts %s', (uri) => {
    expect(checkConnectUri(uri)).toBeNull();
  });

  it.each([
    ['qemu+ext:///system?command=/bin/sh', /transport 'ext'/],
    ['qemu+ssh://host/system?netcat=/tmp/x', /parameter 'netcat'/],
    ['qemu:///embed', /ends in \/system or \/session/],
    ['vbox:///session', /unknown hypervisor driver 'vbox'/],
    ['qemu+ssh:///system', /needs a host/],
    ['qemu+ssh://bad host/system', /not a libvirt connection URI/],
    ['--help', /not a libvirt connection URI/],
    ['qemu://host;reboot/system', /not a host name/],
    ['', /not a libvirt connection URI/],
  ])('refuses %s', (uri, why) => {
    expect(checkConnectUri(uri)).toMatch(why);
  });
});
