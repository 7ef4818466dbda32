#!/usr/bin/env node
// Compile contracts/ProvenanceRegistry.sol with solc-js (pinned in package.json) into
// contracts/build/ProvenanceRegistry.json, or into the directory given as the first argument.
// Offline: imports are read from node_modules. Deterministic: the same sources and compiler give
// the same bytes (sorted keys, two-space indent, trailing newline).
//
//   npm run compile-contracts            # writes contracts/build/
//   node contracts/compile.js OUT_DIR    # writes OUT_DIR/ (the reproducible-build test does this)
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const solc = require("solc");

const ROOT = path.resolve(__dirname, "..");
const NODE_MODULES = path.join(ROOT, "node_modules");
const CONTRACT = "ProvenanceRegistry";
const MAIN_SOURCE = `contracts/${CONTRACT}.sol`;

// The exact standard-JSON settings; recorded verbatim in the artifact.
const SETTINGS = {
  evmVersion: "shanghai",
  optimizer: { enabled: true, runs: 200 },
  outputSelection: {
    "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] },
  },
};

function readSource(unitName) {
  if (path.isAbsolute(unitName) || unitName.split("/").includes("..")) {
    throw new Error(`refusing import outside the project: ${unitName}`);
  }
  const base = unitName.startsWith("contracts/") ? ROOT : NODE_MODULES;
  return fs.readFileSync(path.join(base, unitName), "utf8");
}

const sources = {};

function findImports(unitName) {
  try {
    const content = readSource(unitName);
    sources[unitName] = content;
    return { contents: content };
  } catch (err) {
    return { error: `${unitName}: ${err.message}` };
  }
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const sorted = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
    return sorted;
  }
  return value;
}

function sha256(text) {
  return crypto.createHash("sha256").update(text, "utf8").digest("hex");
}

function main() {
  const outDir = path.resolve(process.argv[2] || path.join(__dirname, "build"));
  sources[MAIN_SOURCE] = readSource(MAIN_SOURCE);
  const input = {
    language: "Solidity",
    sources: { [MAIN_SOURCE]: { content: sources[MAIN_SOURCE] } },
    settings: SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const problems = output.errors || [];
  for (const problem of problems) process.stderr.write(`${problem.formattedMessage}\n`);
  if (problems.some((p) => p.severity === "error")) process.exit(1);

  const compiled = output.contracts[MAIN_SOURCE][CONTRACT];
  const artifact = {
    contractName: CONTRACT,
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
    compiler: { name: "solc-js", version: solc.version() },
    settings: SETTINGS,
    sources: Object.fromEntries(Object.entries(sources).map(([name, text]) => [name, sha256(text)])),
  };
  fs.mkdirSync(outDir, { recursive: true });
  const target = path.join(outDir, `${CONTRACT}.json`);
  fs.writeFileSync(target, `${JSON.stringify(sortKeys(artifact), null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), target) || target}\n`);
}

main();
