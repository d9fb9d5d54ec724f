import CLibOSTree

/// A directory tree being built in memory before it is written as a commit: files are
/// object checksums, directories have a metadata (dirmeta) checksum. A tree made from a
/// commit loads its directories only when they are looked into, so editing a few paths of a
/// large tree costs what those paths cost.
public final class MutableTree {
    let handle: OpaquePointer

    /// An empty tree.
    public init() { handle = ostree_mutable_tree_new() }

    /// Takes over a reference returned by libostree.
    init(adopting handle: OpaquePointer) { self.handle = handle }

    /// The tree of `commit` in `repository`, to edit.
    public convenience init(commit: String, in repository: OSTreeRepository) throws {
        var error: UnsafeMutablePointer<GError>? = nil
        guard let tree = ostree_mutable_tree_new_from_commit(repository.handle, commit, &error) else {
            throw OSTreeError.consume(&error, "reading the tree of \(commit)")
        }
        self.init(adopting: tree)
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(handle)) }

    /// The dirmeta checksum (ownership, mode, xattrs) of this directory.
    public var metadataChecksum: String? {
        ostree_mutable_tree_get_metadata_checksum(handle).map { String(cString: $0) }
    }

    /// What `name` is in this directory.
    public enum Entry {
        case file(checksum: String)
        case directory(MutableTree)
    }

    /// The entry `name`, nil when there is none.
    public func entry(_ name: String) throws -> Entry? {
        var checksum: UnsafeMutablePointer<CChar>? = nil
        var subdirectory: OpaquePointer? = nil
        var error: UnsafeMutablePointer<GError>? = nil
        if ostree_mutable_tree_lookup(handle, name, &checksum, &subdirectory, &error) == 0 {
            let failure = OSTreeError.consume(&error, "looking up \(name)")
            if failure.isNotFound { return nil }
            throw failure
        }
        if let checksum {
            defer { g_free(checksum) }
            return .file(checksum: String(cString: checksum))
        }
        return subdirectory.map { .directory(MutableTree(adopting: $0)) }
    }

    /// The files of this directory: name to object checksum.
    public func files() throws -> [String: String] {
        try checkLoaded()
        guard let table = ostree_mutable_tree_get_files(handle) else { return [:] }
        var result: [String: String] = [:]
        var iterator = GHashTableIter()
        g_hash_table_iter_init(&iterator, table)
        var key: gpointer? = nil, value: gpointer? = nil
        while g_hash_table_iter_next(&iterator, &key, &value) != 0 {
            result[String(cString: key!.assumingMemoryBound(to: CChar.self))] =
                String(cString: value!.assumingMemoryBound(to: CChar.self))
        }
        return result
    }

    /// The names of this directory's subdirectories.
    public func subdirectoryNames() throws -> [String] {
        try checkLoaded()
        guard let table = ostree_mutable_tree_get_subdirs(handle) else { return [] }
        var result: [String] = []
        var iterator = GHashTableIter()
        g_hash_table_iter_init(&iterator, table)
        var key: gpointer? = nil
        while g_hash_table_iter_next(&iterator, &key, nil) != 0 {
            result.append(String(cString: key!.assumingMemoryBound(to: CChar.self)))
        }
        return result
    }

    /// A lazily loaded directory that failed to load reports it here.
    private func checkLoaded() throws {
        try gcall("reading a directory of the tree") { ostree_mutable_tree_check_error(handle, $0) }
    }
}

extension MutableTree {
    /// The subdirectory `name`, created empty (with `metadata` as its dirmeta) when missing.
    public func directory(_ name: String, metadata: String) throws -> MutableTree {
        var sub: OpaquePointer? = nil
        try gcall("creating directory \(name) in a tree") { ostree_mutable_tree_ensure_dir(handle, name, &sub, $0) }
        let tree = MutableTree(adopting: sub!)
        if ostree_mutable_tree_get_metadata_checksum(sub) == nil {
            ostree_mutable_tree_set_metadata_checksum(sub, metadata)
        }
        return tree
    }

    /// Walks (creating as needed) the directories `components`, giving new ones `metadata`.
    public func directory(at components: some Sequence<String>, metadata: String) throws -> MutableTree {
        var current = self
        for component in components { current = try current.directory(component, metadata: metadata) }
        return current
    }

    /// Sets this directory's own metadata object.
    public func setMetadata(_ checksum: String) {
        ostree_mutable_tree_set_metadata_checksum(handle, checksum)
    }

    /// Puts (or replaces) a file entry pointing at a content object.
    public func replaceFile(_ name: String, checksum: String) throws {
        try gcall("adding \(name) to a tree") { ostree_mutable_tree_replace_file(handle, name, checksum, $0) }
    }

    /// Removes an entry; a missing one is fine.
    public func remove(_ name: String) throws {
        try gcall("removing \(name) from a tree") { ostree_mutable_tree_remove(handle, name, 1, $0) }
    }

    /// Whether a file or directory entry `name` exists here.
    public func contains(_ name: String) -> Bool {
        var checksum: UnsafeMutablePointer<CChar>? = nil
        var sub: OpaquePointer? = nil
        let found = ostree_mutable_tree_lookup(handle, name, &checksum, &sub, nil) != 0
        g_free(checksum)
        if let sub { g_object_unref(UnsafeMutableRawPointer(sub)) }
        return found
    }
}

extension MutableTree {
    /// Whether this directory has no metadata object yet (a fresh root).
    public var isEmptyOfMetadata: Bool { ostree_mutable_tree_get_metadata_checksum(handle) == nil }
}
