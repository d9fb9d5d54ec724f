import CLibOSTree
import Foundation

/// GPG signatures on commits and the summary, and a commit's detached metadata (where
/// signatures live).
extension OSTreeRepository {
    /// Adds `signer`'s signature to the commit's detached metadata (`ostree gpg-sign`).
    public func signCommit(_ checksum: String, with signer: GPGSigner) throws {
        try gcall("signing \(checksum) in \(path) with \(signer.description)") {
            ostree_repo_sign_commit(handle, checksum, signer.keyID, signer.homedir, nil, $0)
        }
    }

    /// Signs the repository's summary (`summary.sig`); `regenerateSummary` first.
    public func signSummary(with signer: GPGSigner) throws {
        _ = try withCStringArray([signer.keyID]) { keys in
            try gcall("signing the summary of \(path) with \(signer.description)") {
                ostree_repo_add_gpg_signature_summary(handle, UnsafeMutablePointer(mutating: keys), signer.homedir, nil, $0)
            }
        }
    }

    /// The commit's detached metadata (signatures and what else was attached), skipping values
    /// of types `MetadataValue` does not read (the signatures themselves).
    public func detachedMetadata(of checksum: String) throws -> [String: MetadataValue] {
        guard let variant = try detachedMetadataVariant(of: checksum) else { return [:] }
        defer { g_variant_unref(variant) }
        return MetadataValue.readDictionary(variant)
    }

    /// Sets keys of the commit's detached metadata, keeping every other key (signatures among
    /// them) as it is.
    public func updateDetachedMetadata(of checksum: String, with values: [String: MetadataValue]) throws {
        let existing = try detachedMetadataVariant(of: checksum)
        defer { if let existing { g_variant_unref(existing) } }
        let dictionary = harness_variant_dict_new(existing)
        defer { g_variant_dict_unref(dictionary) }
        for (key, value) in values { g_variant_dict_insert_value(dictionary, key, value.makeVariant()) }
        let updated = g_variant_ref_sink(g_variant_dict_end(dictionary))
        defer { g_variant_unref(updated) }
        try gcall("writing the detached metadata of \(checksum) in \(path)") {
            ostree_repo_write_commit_detached_metadata(handle, checksum, updated, nil, $0)
        }
    }

    /// Makes the commit's detached metadata in this repository what it is in `source`.
    public func copyDetachedMetadata(of checksum: String, from source: OSTreeRepository) throws {
        let variant = try source.detachedMetadataVariant(of: checksum)
        defer { if let variant { g_variant_unref(variant) } }
        try gcall("copying the detached metadata of \(checksum) into \(path)") {
            ostree_repo_write_commit_detached_metadata(handle, checksum, variant, nil, $0)
        }
    }

    /// The serialized detached metadata (to compare two repositories' copies), empty when none.
    public func detachedMetadataBytes(of checksum: String) throws -> [UInt8] {
        guard let variant = try detachedMetadataVariant(of: checksum) else { return [] }
        defer { g_variant_unref(variant) }
        let size = Int(g_variant_get_size(variant))
        guard size > 0, let data = g_variant_get_data(variant) else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: size))
    }

    private func detachedMetadataVariant(of checksum: String) throws -> OpaquePointer? {
        var variant: OpaquePointer? = nil
        try gcall("reading the detached metadata of \(checksum) in \(path)") {
            ostree_repo_read_commit_detached_metadata(handle, checksum, &variant, nil, $0)
        }
        return variant
    }
}
