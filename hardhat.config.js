// Hardhat 2 serves only as a local JSON-RPC node for the chain integration tests
// (tests/integration/hardhat_node.py); contracts are compiled by contracts/compile.js with solc-js.
module.exports = {};
