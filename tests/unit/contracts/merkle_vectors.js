// Reference vectors from @openzeppelin/merkle-tree (the library the contract's trees must match).
// stdin: JSON array of bytes32 hex values. stdout: {"root", "entries": [{"value", "leaf", "proof"}]}
// in input order, for StandardMerkleTree.of(values, ["bytes32"]).
"use strict";

const fs = require("node:fs");
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");

const values = JSON.parse(fs.readFileSync(0, "utf8"));
const tree = StandardMerkleTree.of(values.map((v) => [v]), ["bytes32"]);
const entries = values.map((value, i) => ({
  value,
  leaf: tree.leafHash([value]),
  proof: tree.getProof(i),
}));
process.stdout.write(`${JSON.stringify({ root: tree.root, entries })}\n`);
