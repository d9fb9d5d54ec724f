import CLibOSTree
import Foundation

/// Writes into a repository between `prepare` and `commit` of a transaction; see
/// `OSTreeRepository.withTransaction`. libostree's object writes and ref updates are
/// thread-safe within a transaction, so one transaction may be shared by parallel importers.
public struct Transaction: @unchecked Sendable {
    let repository: OSTreeRepository
    var handle: OpaquePointer { repository.handle }

    /// Points `ref` at `checksum` when the transaction commits.
    public func setRef(_ ref: String, to checksum: String) {
        ostree_repo_transaction_set_ref(handle, nil, ref, checksum)
    }

    /// Writes the contents of a directory on disk into `tree`.
    ///
    /// With a `devinoCache` filled by an earlier hard-link checkout from this repository, files
    /// still linked to their objects are added by checksum without being read again.
    public func writeDirectory(_ path: String, into tree: MutableTree,
                               devinoCache: DevInoCache? = nil, canonicalPermissions: Bool = false) throws {
        let flags = canonicalPermissions ? OSTREE_REPO_COMMIT_MODIFIER_FLAGS_CANONICAL_PERMISSIONS
                                         : OSTREE_REPO_COMMIT_MODIFIER_FLAGS_NONE
        let modifier = ostree_repo_commit_modifier_new(flags, nil, nil, nil)
        defer { ostree_repo_commit_modifier_unref(modifier) }
        if let devinoCache { ostree_repo_commit_modifier_set_devino_cache(modifier, devinoCache.handle) }
        try gcall("writing \(path) into \(repository.path)") {
            ostree_repo_write_dfd_to_mtree(handle, AT_FDCWD, path, tree.handle, modifier, nil, $0)
        }
    }

    /// Writes a commit of `tree` with `metadata`; returns its checksum. No ref moves.
    public func writeCommit(tree: MutableTree, parent: String?, subject: String,
                            metadata: [String: MetadataValue], timestamp: UInt64? = nil) throws -> String {
        var root: OpaquePointer? = nil
        try gcall("writing the tree into \(repository.path)") {
            ostree_repo_write_mtree(handle, tree.handle, &root, nil, $0)
        }
        defer { g_object_unref(UnsafeMutableRawPointer(root)) }
        let metadataVariant = g_variant_ref_sink(MetadataValue.makeDictionary(metadata))
        defer { g_variant_unref(metadataVariant) }
        // The rest of a commit object (subject, parent, tree checksums) is a few hundred bytes.
        let size = Int(g_variant_get_size(metadataVariant))
        guard size + 64 * 1024 <= MetadataValue.maximumCommitSize else {
            throw OSTreeError("writing a commit into \(repository.path)", .commitMetadataTooLarge(bytes: size))
        }
        var checksum: UnsafeMutablePointer<CChar>? = nil
        if let timestamp {
            try gcall("writing a commit into \(repository.path)") {
                ostree_repo_write_commit_with_time(handle, parent, subject, nil, metadataVariant,
                                                   UnsafeMutableRawPointer(root).map { OpaquePointer($0) },
                                                   guint64(timestamp), &checksum, nil, $0)
            }
        } else {
            try gcall("writing a commit into \(repository.path)") {
                ostree_repo_write_commit(handle, parent, subject, nil, metadataVariant,
                                         UnsafeMutableRawPointer(root).map { OpaquePointer($0) },
                                         &checksum, nil, $0)
            }
        }
        defer { g_free(checksum) }
        return String(cString: checksum!)
    }
}
