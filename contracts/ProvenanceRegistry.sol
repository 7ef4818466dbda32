// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title ProvenanceRegistry
/// @notice Records MicroSpaceGen provenance batches: one Merkle root per transaction, with the
/// block that recorded it, its submitter and its leaf count; leaves (one per dataset record) can be
/// retracted with a reason. Trees are OpenZeppelin StandardMerkleTree trees (double-hashed leaves,
/// sorted-pair inner nodes), so any proof the JS or Python tree builds verifies here.
contract ProvenanceRegistry is AccessControl {
    /// @notice Role allowed to anchor roots.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");
    /// @notice Role allowed to retract leaves.
    bytes32 public constant RETRACTOR_ROLE = keccak256("RETRACTOR_ROLE");
    /// @notice Longest accepted retraction reason, in UTF-8 bytes.
    uint256 public constant MAX_REASON_BYTES = 500;

    /// @notice What is stored per anchored root. 160 + 40 + 40 + 16 bits: exactly one storage slot,
    /// so anchoring writes one fresh slot (the largest share of its gas).
    struct Anchor {
        address submitter;
        uint40 blockTime;
        uint40 blockNumber;
        uint16 leafCount;
    }

    /// @notice What is stored per retracted leaf.
    struct Retraction {
        address by;
        uint40 time;
        string reason;
    }

    /// @notice A root was anchored; the submitter is the transaction's sender.
    /// @param manifest Reference to the batch manifest kept off-chain (e.g. its SHA-256).
    event Anchored(bytes32 indexed root, bytes32 manifest, uint16 leafCount);
    /// @notice A leaf of an anchored root was retracted.
    event Retracted(bytes32 indexed leaf, bytes32 indexed root, address by, string reason);

    error RootAlreadyAnchored(bytes32 root);
    error EmptyBatch();
    error ZeroRoot();
    error RootNotAnchored(bytes32 root);
    error LeafNotInBatch(bytes32 leaf, bytes32 root);
    error AlreadyRetracted(bytes32 leaf);
    error EmptyReason();
    error ReasonTooLong(uint256 length, uint256 maxLength);

    mapping(bytes32 root => Anchor) private _anchors;
    mapping(bytes32 leaf => Retraction) private _retractions;

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants and revokes roles).
    /// @param anchorer Receives ANCHORER_ROLE and RETRACTOR_ROLE.
    constructor(address admin, address anchorer) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, anchorer);
        _grantRole(RETRACTOR_ROLE, anchorer);
    }

    /// @notice Anchor a batch's Merkle root.
    /// @dev Reverts with ZeroRoot, EmptyBatch, RootAlreadyAnchored or AccessControlUnauthorizedAccount.
    /// @param root StandardMerkleTree root of the batch.
    /// @param leafCount Number of leaves (datasets and checkpoints) in the batch, at least 1.
    /// @param manifest Reference to the batch manifest, carried by the Anchored event only.
    function anchor(bytes32 root, uint16 leafCount, bytes32 manifest) external onlyRole(ANCHORER_ROLE) {
        if (root == bytes32(0)) revert ZeroRoot();
        if (leafCount == 0) revert EmptyBatch();
        Anchor storage entry = _anchors[root];
        uint256 packed;
        assembly ("memory-safe") {
            packed := sload(entry.slot)
        }
        if (packed != 0) revert RootAlreadyAnchored(root);
        // Equivalent to `_anchors[root] = Anchor(msg.sender, uint40(block.timestamp),
        // uint40(block.number), leafCount)` in Solidity's packing (first member in the low bits),
        // written as one SSTORE: about 280 gas less than what the optimizer makes of the struct write.
        assembly ("memory-safe") {
            let time := and(timestamp(), 0xffffffffff)
            let height := and(number(), 0xffffffffff)
            sstore(entry.slot, or(or(caller(), shl(160, time)), or(shl(200, height), shl(240, leafCount))))
        }
        emit Anchored(root, manifest, leafCount);
    }

    /// @notice The anchor of `root`; all fields zero if it was never anchored.
    function anchorOf(bytes32 root) external view returns (Anchor memory) {
        return _anchors[root];
    }

    /// @notice Retract `leaf`, which `proof` shows is part of the anchored `root`, giving a reason.
    /// @dev Reverts with RootNotAnchored, LeafNotInBatch, AlreadyRetracted, EmptyReason, ReasonTooLong
    /// or AccessControlUnauthorizedAccount. A leaf is retracted once, whatever root it is shown in.
    function retract(bytes32 root, bytes32 leaf, bytes32[] calldata proof, string calldata reason)
        external
        onlyRole(RETRACTOR_ROLE)
    {
        if (_anchors[root].submitter == address(0)) revert RootNotAnchored(root);
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert LeafNotInBatch(leaf, root);
        if (_retractions[leaf].by != address(0)) revert AlreadyRetracted(leaf);
        uint256 length = bytes(reason).length;
        if (length == 0) revert EmptyReason();
        if (length > MAX_REASON_BYTES) revert ReasonTooLong(length, MAX_REASON_BYTES);
        _retractions[leaf] = Retraction(msg.sender, uint40(block.timestamp), reason);
        emit Retracted(leaf, root, msg.sender, reason);
    }

    /// @notice The retraction of `leaf`; `by` is the zero address if it was never retracted.
    function retractionOf(bytes32 leaf) external view returns (Retraction memory) {
        return _retractions[leaf];
    }

    /// @notice Everything an offline verifier cannot check, in one call.
    /// @return included Whether `proof` rebuilds `root` from `leaf` (a pure Merkle check: it says
    /// nothing about anchoring; read `anchored`).
    /// @return anchored The anchor of `root`; `submitter` is the zero address if never anchored.
    /// @return retracted Whether `leaf` was retracted.
    /// @return currentBlock The current block number: confirmations = currentBlock - anchored.blockNumber + 1.
    function verify(bytes32 root, bytes32 leaf, bytes32[] calldata proof)
        external
        view
        returns (bool included, Anchor memory anchored, bool retracted, uint256 currentBlock)
    {
        included = MerkleProof.verifyCalldata(proof, root, leaf);
        anchored = _anchors[root];
        retracted = _retractions[leaf].by != address(0);
        currentBlock = block.number;
    }
}
