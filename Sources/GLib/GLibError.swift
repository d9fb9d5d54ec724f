import CGLib

/// A GLib-style call (libostree, librepo, libdnf) that failed: GLib's error domain and code,
/// the kind a caller matches on, and GLib's message for the user.
public struct GLibError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The error domain's name, e.g. `g-io-error-quark`.
    public var domain: String
    /// The domain's code (a `GIOErrorEnum` value for GIO errors).
    public var code: Int32
    /// GLib's message, e.g. `No such file or directory`.
    public var message: String

    public var description: String { message }

    /// Whether GIO reported `G_IO_ERROR_NOT_FOUND`.
    public var isNotFound: Bool {
        domain == Self.ioErrorDomain && code == Int32(G_IO_ERROR_NOT_FOUND.rawValue)
    }

    public init(domain: String, code: Int32, message: String) {
        self.domain = domain
        self.code = code
        self.message = message
    }

    /// Takes the error a failed call set, freeing it; one with `fallback` as its message
    /// when the library failed without setting one.
    public static func take(_ error: inout UnsafeMutablePointer<GError>?, fallback: String = "unknown error") -> GLibError {
        guard let gerror = error else { return GLibError(domain: "", code: 0, message: fallback) }
        let result = GLibError(domain: gerror.pointee.domain == 0 ? "" : String(cString: g_quark_to_string(gerror.pointee.domain)),
                               code: gerror.pointee.code,
                               message: gerror.pointee.message.map { String(cString: $0) } ?? fallback)
        g_clear_error(&error)
        return result
    }

    private static let ioErrorDomain = String(cString: g_quark_to_string(harness_io_error_quark()))
}
