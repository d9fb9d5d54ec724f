import CLibOSTree
import Foundation

/// Ownership and mode of one file or directory as stored in an OSTree object.
public struct FileAttributes: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    /// Full `st_mode`, type bits included.
    public var mode: UInt32

    public init(uid: UInt32 = 0, gid: UInt32 = 0, mode: UInt32) {
        self.uid = uid
        self.gid = gid
        self.mode = mode
    }
}

/// Extended attributes as OSTree stores them: name and raw value.
public typealias ExtendedAttributes = [(name: String, value: [UInt8])]

extension Transaction {
    /// Writes a regular file object whose content is streamed by `produce`, which is handed a
    /// sink to call with successive chunks. Returns the object checksum.
    public func writeRegularFile(_ attributes: FileAttributes, xattrs: ExtendedAttributes = [],
                                 length: UInt64,
                                 produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> String {
        let xattrVariant = makeXattrVariant(xattrs)
        defer { if let xattrVariant { g_variant_unref(xattrVariant) } }
        var error: UnsafeMutablePointer<GError>? = nil
        guard let writer = ostree_repo_write_regfile(handle, nil, attributes.uid, attributes.gid, attributes.mode,
                                                     guint64(length), xattrVariant, &error) else {
            throw OSTreeError.consume(&error, "writing a file object into \(repository.path)")
        }
        defer { g_object_unref(UnsafeMutableRawPointer(writer)) }
        let stream = UnsafeMutableRawPointer(writer).assumingMemoryBound(to: GOutputStream.self)
        try produce { chunk in
            guard chunk.count > 0 else { return }
            var written: gsize = 0
            try gcall("writing file content into \(repository.path)") {
                g_output_stream_write_all(stream, chunk.baseAddress, gsize(chunk.count), &written, nil, $0)
            }
        }
        var checksum: UnsafeMutablePointer<CChar>? = nil
        try gcall("finishing a file object in \(repository.path)") { error in
            checksum = ostree_content_writer_finish(writer, nil, error)
            return checksum == nil ? 0 : 1
        }
        defer { g_free(checksum) }
        return String(cString: checksum!)
    }

    /// Writes a regular file object from bytes in memory.
    public func writeRegularFile(_ attributes: FileAttributes, xattrs: ExtendedAttributes = [],
                                 contents: [UInt8]) throws -> String {
        try writeRegularFile(attributes, xattrs: xattrs, length: UInt64(contents.count)) { sink in
            try contents.withUnsafeBytes { try sink($0) }
        }
    }

    /// Writes a symbolic link object.
    public func writeSymlink(target: String, uid: UInt32 = 0, gid: UInt32 = 0,
                             xattrs: ExtendedAttributes = []) throws -> String {
        let xattrVariant = makeXattrVariant(xattrs)
        defer { if let xattrVariant { g_variant_unref(xattrVariant) } }
        var checksum: UnsafeMutablePointer<CChar>? = nil
        try gcall("writing a symlink object into \(repository.path)") { error in
            checksum = ostree_repo_write_symlink(handle, nil, uid, gid, xattrVariant, target, nil, error)
            return checksum == nil ? 0 : 1
        }
        defer { g_free(checksum) }
        return String(cString: checksum!)
    }

    /// Writes a directory metadata object (ownership, mode, xattrs); returns its checksum.
    public func writeDirectoryMetadata(_ attributes: FileAttributes, xattrs: ExtendedAttributes = []) throws -> String {
        let info = g_file_info_new()!
        defer { g_object_unref(UnsafeMutableRawPointer(info)) }
        g_file_info_set_attribute_uint32(info, "unix::uid", attributes.uid)
        g_file_info_set_attribute_uint32(info, "unix::gid", attributes.gid)
        g_file_info_set_attribute_uint32(info, "unix::mode", attributes.mode)
        let xattrVariant = makeXattrVariant(xattrs)
        defer { if let xattrVariant { g_variant_unref(xattrVariant) } }
        let dirmeta = g_variant_ref_sink(ostree_create_directory_metadata(info, xattrVariant))
        defer { g_variant_unref(dirmeta) }
        var raw: UnsafeMutablePointer<guchar>? = nil
        try gcall("writing directory metadata into \(repository.path)") {
            ostree_repo_write_metadata(handle, OSTREE_OBJECT_TYPE_DIR_META, nil, dirmeta, &raw, nil, $0)
        }
        defer { g_free(raw) }
        let hex = ostree_checksum_from_bytes(raw)!
        defer { g_free(hex) }
        return String(cString: hex)
    }

    /// An `a(ayay)` variant (sunk, to unref) or nil for no attributes.
    private func makeXattrVariant(_ xattrs: ExtendedAttributes) -> OpaquePointer? {
        guard !xattrs.isEmpty else { return nil }
        let builder = g_variant_builder_new(harness_variant_type("a(ayay)"))
        defer { g_variant_builder_unref(builder) }
        for (name, value) in xattrs {
            // Attribute names are stored as NUL-terminated byte strings.
            let nameBytes = Array(name.utf8) + [0]
            let nameVariant = nameBytes.withUnsafeBytes { harness_variant_new_bytes($0.baseAddress, gsize($0.count)) }
            let valueVariant = value.withUnsafeBytes { harness_variant_new_bytes($0.baseAddress, gsize($0.count)) }
            var children: [OpaquePointer?] = [nameVariant, valueVariant]
            g_variant_builder_add_value(builder, g_variant_new_tuple(&children, 2))
        }
        return g_variant_ref_sink(g_variant_builder_end(builder))
    }
}
