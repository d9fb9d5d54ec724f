import CLibOSTree

/// A value in commit metadata (`a{sv}`), in the few shapes this project writes and reads.
public enum MetadataValue: Sendable, Equatable {
    case string(String)
    case strings([String])
    case bytes([UInt8])
    case uint64(UInt64)
    case bool(Bool)
    /// A 32-bit integer (`i`): pull options such as `flags` and `depth` take these.
    case int32(Int32)

    /// The string, if this is one.
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    /// The string list, if this is one.
    public var stringsValue: [String]? { if case .strings(let s) = self { s } else { nil } }
    /// The bytes, if this is a byte array.
    public var bytesValue: [UInt8]? { if case .bytes(let b) = self { b } else { nil } }

    /// A new floating GVariant holding the value.
    func makeVariant() -> OpaquePointer {
        switch self {
        case .string(let s):
            return g_variant_new_string(s)
        case .strings(let list):
            return withCStringArray(list) { harness_variant_new_string_array($0, gssize(list.count)) }
        case .bytes(let b):
            return b.withUnsafeBytes { harness_variant_new_bytes($0.baseAddress, gsize($0.count)) }
        case .uint64(let v):
            return g_variant_new_uint64(guint64(v))
        case .bool(let v):
            return g_variant_new_boolean(v ? 1 : 0)
        case .int32(let v):
            return g_variant_new_int32(v)
        }
    }

    /// Reads a GVariant of one of the supported types; nil for other types.
    init?(variant: OpaquePointer) {
        let type = String(cString: g_variant_get_type_string(variant))
        switch type {
        case "s":
            self = .string(String(cString: g_variant_get_string(variant, nil)))
        case "as":
            var count: gsize = 0
            guard let strv = g_variant_get_strv(variant, &count) else { self = .strings([]); return }
            defer { g_free(UnsafeMutableRawPointer(mutating: strv)) }
            self = .strings((0..<Int(count)).map { String(cString: strv[$0]!) })
        case "ay":
            var count: gsize = 0
            let data = g_variant_get_fixed_array(variant, &count, 1)
            let buffer = UnsafeRawBufferPointer(start: data, count: Int(count))
            self = .bytes(Array(buffer))
        case "t":
            self = .uint64(UInt64(g_variant_get_uint64(variant)))
        case "b":
            self = .bool(g_variant_get_boolean(variant) != 0)
        case "i":
            self = .int32(g_variant_get_int32(variant))
        default:
            return nil
        }
    }

    /// libostree refuses to load a commit (or any metadata object) larger than this
    /// (`OSTREE_MAX_METADATA_SIZE`): a commit written past it could never be pulled.
    public static let maximumCommitSize = 10 << 20

    /// The size of `metadata` in a commit object, in bytes.
    public static func serializedSize(_ metadata: [String: MetadataValue]) -> Int {
        let dictionary = g_variant_ref_sink(makeDictionary(metadata))
        defer { g_variant_unref(dictionary) }
        return Int(g_variant_get_size(dictionary))
    }

    /// Builds an `a{sv}` dictionary (floating) from metadata, keys in sorted order.
    static func makeDictionary(_ metadata: [String: MetadataValue]) -> OpaquePointer {
        let builder = g_variant_builder_new(harness_variant_type("a{sv}"))
        defer { g_variant_builder_unref(builder) }
        for key in metadata.keys.sorted() {
            let value = g_variant_new_variant(metadata[key]!.makeVariant())
            g_variant_builder_add_value(builder, g_variant_new_dict_entry(g_variant_new_string(key), value))
        }
        return g_variant_builder_end(builder)
    }

    /// Reads an `a{sv}` dictionary, skipping values of unsupported types.
    static func readDictionary(_ dict: OpaquePointer) -> [String: MetadataValue] {
        var result: [String: MetadataValue] = [:]
        let count = g_variant_n_children(dict)
        for index in 0..<count {
            guard let entry = g_variant_get_child_value(dict, index) else { continue }
            defer { g_variant_unref(entry) }
            let keyVariant = g_variant_get_child_value(entry, 0)!
            let boxed = g_variant_get_child_value(entry, 1)!
            let inner = g_variant_get_variant(boxed)!
            let key = String(cString: g_variant_get_string(keyVariant, nil))
            if let value = MetadataValue(variant: inner) { result[key] = value }
            g_variant_unref(inner)
            g_variant_unref(boxed)
            g_variant_unref(keyVariant)
        }
        return result
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> R) rethrows -> R {
    let duplicates = strings.map { UnsafePointer(strdup($0)) }
    defer { duplicates.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
    let array: [UnsafePointer<CChar>?] = duplicates + [nil]
    return try array.withUnsafeBufferPointer { try body($0.baseAddress!) }
}
