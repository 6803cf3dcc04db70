// `npm run bench`, the VM editor's part: analyseDomain (what runs on every keystroke) on a 2,000-line domain
// against the synthetic host, with fast-xml-parser parsing the same text in the same run as the reference
// (a parse alone, no spans, no findings). Target: lint under 10 ms. Prints figures; never fails.
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import { XMLParser } from 'fast-xml-parser';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function time(fn, runs) {
  for (let i = 0; i < 5; i++) fn(); // warm-up: JIT and caches
  const ts = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { median: median(ts), min: Math.min(...ts) };
}

const hex = (n, w) => '0x' + n.toString(16).padStart(w, '0');

/**
 * A large but ordinary GPU domain: 8 four-function cards of the synthetic host (one missing a function, one
 * without guest addresses, vCPUs pinned on the wrong node, so every kind of check has work), then disks
 * until the text is `lines` lines long.
 */
export function bigDomain(lines = 2000) {
  const head = [
    "<domain type='kvm'>",
    '  <name>bench-2000</name>',
    '  <uuid>6b1e9a52-3f0c-4c8e-9d3b-2a7f1e5c9b10</uuid>',
    "  <memory unit='GiB'>64</memory>",
    "  <vcpu placement='static'>16</vcpu>",
    '  <cputune>',
    ...Array.from({ length: 16 }, (_, v) => `    <vcpupin vcpu='${v}' cpuset='${14 + v}'/>`),
    '  </cputune>',
    '  <os>',
    "    <type arch='x86_64' machine='pc-q35-9.1'>hvm</type>",
    '  </os>',
    '  <features>',
    '    <acpi/>',
    '    <hyperv>',
    "      <relaxed state='on'/>",
    '    </hyperv>',
    '  </features>',
    "  <cpu mode='host-passthrough'>",
    "    <topology sockets='1' cores='8' threads='2'/>",
    '  </cpu>',
    '  <devices>',
    '    <emulator>/usr/bin/qemu-system-x86_64</emulator>',
  ];
  const cards = [];
  for (let c = 0; c < 8; c++) {
    for (let fn = 0; fn < 4; fn++) {
      if (c === 3 && fn === 3) continue;
      const guest = c === 5 ? [] : [`      <address type='pci' domain='0x0000' bus='${hex(0x10 + c, 2)}' slot='0x00' function='${hex(fn, 1)}'${fn === 0 ? " multifunction='on'" : ''}/>`];
      cards.push(
        "    <hostdev mode='subsystem' type='pci' managed='yes'>",
        '      <source>',
        `        <address domain='0x0000' bus='${hex(1 + c, 2)}' slot='0x00' function='${hex(fn, 1)}'/>`,
        '      </source>',
        ...guest,
        '    </hostdev>',
      );
    }
  }
  const tail = ['  </devices>', '</domain>'];
  const disk = (i) => [
    "    <disk type='file' device='disk'>",
    "      <driver name='qemu' type='qcow2' cache='none' io='native'/>",
    `      <source file='/var/lib/libvirt/images/bench-${i}.qcow2'/>`,
    `      <target dev='vd${i}' bus='virtio'/>`,
    '      <!-- a comment &amp; an entity -->',
    '    </disk>',
  ];
  const body = [...head, ...cards];
  for (let i = 0; body.length + tail.length + 6 <= lines; i++) body.push(...disk(i));
  while (body.length + tail.length < lines) body.push('    <!-- padding -->');
  return [...body, ...tail].join('\n') + '\n';
}

export async function benchDomain({ repo, work, root, runs }) {
  const bundle = path.join(work, 'domain.cjs');
  await build({ entryPoints: [path.join(repo, 'shared/domain/index.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'warning' });
  const scanBundle = path.join(work, 'scan.cjs');
  const require = createRequire(import.meta.url);
  const { analyseDomain } = require(bundle);
  const { scanHost } = require(scanBundle);
  const inventory = scanHost({ root });
  const xml = bigDomain(2000);
  const lineCount = xml.split('\n').length - 1;
  const findings = analyseDomain(xml, inventory);
  const parser = new XMLParser({ ignoreAttributes: false });
  const n = Math.max(50, runs * 10);
  const lint = time(() => analyseDomain(xml, inventory), n);
  const fxp = time(() => parser.parse(xml), n);
  const ratio = lint.median / fxp.median;
  const codes = [...new Set(findings.map((f) => f.code))].sort().join(', ');
  console.log(`  xml lint, ${lineCount}-line domain   median ${lint.median.toFixed(2)} ms  (min ${lint.min.toFixed(2)} ms)   target < 10 ms: ${lint.median < 10 ? 'met' : 'MISSED'}`);
  console.log(`  fast-xml-parser parse, same   median ${fxp.median.toFixed(2)} ms  (min ${fxp.min.toFixed(2)} ms)`);
  console.log(`  ratio lint / fast-xml-parser  ${ratio.toFixed(2)}x   (lint = lossless read with spans + ${findings.length} findings: ${codes})`);
}
