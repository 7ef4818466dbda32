#!/usr/bin/env node
// Reference vectors for ledger/records.py and ledger/merkle.py, computed by an independent route:
// OpenZeppelin's own @openzeppelin/merkle-tree (StandardMerkleTree, leaf encoding ["bytes32"]) and a
// canonical-JSON writer in JavaScript. The Python tests compare against the JSON this writes; they
// never compare the Python code with itself.
//
//   node scripts/ledger_vectors.js > tests/fixtures/ledger/oz_vectors.json
//
// Needs `npm install` (package.json pins @openzeppelin/merkle-tree); no network once installed.
// Output is deterministic: the values are SHA-256 digests of fixed strings.
'use strict';

const crypto = require('node:crypto');
const { StandardMerkleTree } = require('@openzeppelin/merkle-tree');
const { version } = require('@openzeppelin/merkle-tree/package.json');

const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');

// Sorted keys compared by Unicode code point (as Python's sort_keys does; JavaScript's default sort
// compares UTF-16 code units, which differs for characters beyond U+FFFF), no spaces, and
// JSON.stringify's escapes for strings, which are the same as Python's json with ensure_ascii=False.
function codePointCompare(a, b) {
  const x = Array.from(a, (c) => c.codePointAt(0));
  const y = Array.from(b, (c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

function canonical(value) {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`not a safe integer: ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).sort(codePointCompare);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
}

const hex64 = (label) => sha256(`microspacegen-vector:${label}`);

const records = [
  {
    name: 'dataset record',
    record: {
      schema: 'microspacegen/provenance-record/1',
      salt: hex64('salt-1'),
      entity: {
        id: 'dataset/7',
        sha256: sha256('ACGT\n'),
        size: 5,
        format: 'fasta',
        filename: 'pPCP1 – Yersinia pestis.fasta',
        material: 'genome assembly',
        experiment: 'ISS µg run 3',
        sample: null,
      },
      activity: {
        type: 'analysis',
        software: { name: 'MicroSpaceGen', version: '0.1.0' },
        parameters: {
          k: 21,
          min_len: -1,
          big: 9007199254740991,
          strict: true,
          note: 'tab\there "quoted" back\\slash \u0001 \u007f \u2028 😀',
          nested: { z: [], a: {}, list: [1, 'two', null, false] },
          '\ufb01': 'U+FB01 sorts before U+1F600 by code point',
          '😀': 'after U+FB01 by code point, before it in UTF-16 units',
        },
        started_at: '2025-01-02T03:04:05.000000Z',
        ended_at: '2025-01-02T03:04:06.250000Z',
      },
      agent: { id: 'user/3', username: 'ada' },
      derived_from: [hex64('parent-a'), hex64('parent-b')].sort(),
    },
  },
  {
    name: 'audit checkpoint record',
    record: {
      schema: 'microspacegen/audit-checkpoint/1',
      salt: hex64('salt-2'),
      seq: 42,
      digest: hex64('audit-head'),
      at: '2025-06-30T23:59:59.999999Z',
    },
  },
];

const recordVectors = records.map(({ name, record }) => {
  const text = canonical(record);
  const digest = sha256(Buffer.from(text, 'utf8'));
  const leaf = StandardMerkleTree.of([[`0x${digest}`]], ['bytes32']).root; // one leaf: root == leaf
  return { name, record, canonical: text, sha256: digest, leaf };
});

const trees = [1, 2, 3, 5, 8, 13, 100].map((n) => {
  const values = Array.from({ length: n }, (_, i) => `0x${hex64(`tree-${n}-${i}`)}`);
  const tree = StandardMerkleTree.of(values.map((v) => [v]), ['bytes32']);
  return {
    n,
    values, // record digests, in the order given
    leaves: values.map((_, i) => tree.tree[tree.values[i].treeIndex]),
    root: tree.root,
    proofs: values.map((_, i) => tree.getProof(i)),
    tree: tree.tree, // the flat array: sorted leaves at the end, root first
  };
});

process.stdout.write(
  `${JSON.stringify(
    {
      generator: 'scripts/ledger_vectors.js',
      library: `@openzeppelin/merkle-tree@${version}`,
      records: recordVectors,
      trees,
    },
    null,
    1,
  )}\n`,
);
