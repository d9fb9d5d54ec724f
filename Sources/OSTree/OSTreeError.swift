import CLibOSTree
import GLib

/// A libostree (or GLib/GIO) call that failed, or a check of ours before one: the operation
/// and what went wrong, as a kind to match on.
public struct OSTreeError: Error, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// libostree or GLib failed, with GLib's domain, code and message.
        case library(GLibError)
        /// A commit's metadata is over libostree's limit for a commit object.
        case commitMetadataTooLarge(bytes: Int)
        /// GnuPG has no secret key with this id in the keyring named.
        case missingSigningKey(keyID: String, keyring: String)
    }

    /// What we were doing, e.g. `opening repository /srv/repo`.
    public var operation: String
    public var kind: Kind

    /// Whether GLib reported `G_IO_ERROR_NOT_FOUND`.
    public var isNotFound: Bool {
        if case .library(let error) = kind { error.isNotFound } else { false }
    }

    public var description: String { "\(operation): \(reason)" }

    /// What went wrong, in words, without the operation.
    public var reason: String {
        switch kind {
        case .library(let error):
            error.message
        case .commitMetadataTooLarge(let bytes):
            "its metadata of \(bytes) bytes is over libostree's limit of 10 MiB for a commit"
        case .missingSigningKey(let keyID, let keyring):
            "GPG key '\(keyID)' has no secret key in the keyring \(keyring) (gpg --list-secret-keys \(keyID))"
        }
    }

    init(_ operation: String, _ kind: Kind) {
        self.operation = operation
        self.kind = kind
    }

    /// Turns a set GError into an `OSTreeError` and frees it.
    static func consume(_ error: inout UnsafeMutablePointer<GError>?, _ operation: String) -> OSTreeError {
        OSTreeError(operation, .library(GLibError.take(&error)))
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
