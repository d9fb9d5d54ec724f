import CLibOSTree

/// A libostree (or GLib/GIO) call that failed, with the operation and GLib's own message.
public struct OSTreeError: Error, CustomStringConvertible {
    /// What we were doing, e.g. `opening repository /srv/repo`.
    public var operation: String
    /// GLib's message, e.g. `No such file or directory`.
    public var message: String
    /// The GError domain's code (a `GIOErrorEnum` value for GIO errors).
    public var code: Int32
    /// Whether GLib reported `G_IO_ERROR_NOT_FOUND`.
    public var isNotFound: Bool

    public var description: String { "\(operation): \(message)" }

    init(_ operation: String, message: String, code: Int32 = 0, isNotFound: Bool = false) {
        self.operation = operation
        self.message = message
        self.code = code
        self.isNotFound = isNotFound
    }

    /// Turns a set GError into an `OSTreeError` and frees it.
    static func consume(_ error: inout UnsafeMutablePointer<GError>?, _ operation: String) -> OSTreeError {
        guard let gerror = error else { return OSTreeError(operation, message: "unknown error") }
        let message = String(cString: gerror.pointee.message)
        let notFound = gerror.pointee.domain == harness_io_error_quark()
            && gerror.pointee.code == Int32(G_IO_ERROR_NOT_FOUND.rawValue)
        let result = OSTreeError(operation, message: message, code: gerror.pointee.code, isNotFound: notFound)
        g_clear_error(&error)
        return result
    }
}

/// Calls a GLib-style function that returns `gboolean` and sets a `GError` on failure.
@discardableResult
func gcall(_ operation: @autoclosure () -> String,
           _ body: (UnsafeMutablePointer<UnsafeMutablePointer<GError>?>) -> gboolean) throws -> Bool {
    var error: UnsafeMutablePointer<GError>? = nil
    if body(&error) == 0 {
        throw OSTreeError.consume(&error, operation())
    }
    return true
}
