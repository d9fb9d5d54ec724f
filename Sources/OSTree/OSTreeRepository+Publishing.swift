import CLibOSTree
import Foundation

/// What a static directory for clients needs: the summary, static deltas, pruning.
extension OSTreeRepository {
    /// Rewrites `summary` from the refs and static deltas there are now (and removes
    /// `summary.sig`, which signed the old one).
    public func regenerateSummary() throws {
        try gcall("writing the summary of \(path)") { ostree_repo_regenerate_summary(handle, nil, nil, $0) }
    }

    /// The static deltas there are, as libostree names them: `FROM-TO`, or `TO` for one from
    /// nothing.
    public func staticDeltaNames() throws -> [String] {
        var names: UnsafeMutablePointer<GPtrArray>? = nil
        try gcall("listing the static deltas of \(path)") { ostree_repo_list_static_delta_names(handle, &names, nil, $0) }
        guard let names else { return [] }
        defer { g_ptr_array_unref(names) }
        return (0..<Int(names.pointee.len)).map { String(cString: names.pointee.pdata[$0]!.assumingMemoryBound(to: CChar.self)) }
    }

    /// Writes the static delta from `from` to `to` (both commits must be here with their
    /// objects), optimized for size as `ostree static-delta generate` does.
    public func generateStaticDelta(from: String, to: String) throws {
        // libostree reads both dictionaries without checking for NULL.
        let metadata = g_variant_ref_sink(MetadataValue.makeDictionary([:]))
        let parameters = g_variant_ref_sink(MetadataValue.makeDictionary([:]))
        defer { g_variant_unref(metadata); g_variant_unref(parameters) }
        try gcall("generating the static delta \(from.prefix(12))-\(to.prefix(12)) in \(path)") {
            ostree_repo_static_delta_generate(handle, OSTREE_STATIC_DELTA_GENERATE_OPT_MAJOR, from, to, metadata, parameters, nil, $0)
        }
    }

    /// Deletes every static delta that leads to `commit`.
    public func deleteStaticDeltas(to commit: String) throws {
        try gcall("deleting the static deltas to \(commit.prefix(12)) in \(path)") {
            ostree_repo_prune_static_deltas(handle, commit, nil, $0)
        }
    }

    /// Deletes the objects no ref reaches within `depth` parents (commits further back
    /// included); returns how many objects were deleted.
    @discardableResult
    public func prune(depth: Int) throws -> Int {
        var total: gint = 0, pruned: gint = 0
        var size: guint64 = 0
        try gcall("pruning \(path)") {
            ostree_repo_prune(handle, OSTREE_REPO_PRUNE_FLAGS_REFS_ONLY, gint(depth), &total, &pruned, &size, nil, $0)
        }
        return Int(pruned)
    }

    /// Copies `refs` (each pinned to the commit given) with `depth` parents from the
    /// repository at `source` and points the refs here at them, in one pull.
    public func mirror(_ refs: [String: String], depth: Int, from source: String) throws {
        let names = refs.keys.sorted()
        try pull(url: "file://" + source, options: [
            "refs": .strings(names), "override-commit-ids": .strings(names.map { refs[$0]! }),
            "depth": .int32(Int32(depth)), "gpg-verify": .bool(false), "disable-static-deltas": .bool(true),
        ], describing: "copying \(names.joined(separator: ", ")) from \(source) into \(path)")
        try withTransaction { transaction in
            for name in names { transaction.setRef(name, to: refs[name]!) }
        }
    }
}
