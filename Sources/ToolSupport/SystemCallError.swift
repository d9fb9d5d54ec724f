import Foundation
import SystemPackage

/// A system call that failed: what was being done, to which path, and why. `errno` is
/// swift-system's `Errno`, the kind a caller matches on (`.noSuchFileOrDirectory`,
/// `.notSupported`); the description is the one-line message for the user.
public struct SystemCallError: Error, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Errno

    public init(_ operation: String, path: String, errno: Errno = Errno(rawValue: Glibc.errno)) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String { "\(path): \(operation): \(errno)" }

    /// Runs `call`, again while it fails with EINTR, and throws when it returns -1.
    @discardableResult
    public static func check<Result: SignedInteger>(_ operation: String, _ path: String,
                                                    _ call: () -> Result) throws -> Result {
        while true {
            let result = call()
            if result != -1 { return result }
            let failure = Errno(rawValue: Glibc.errno)
            if failure != .interrupted { throw SystemCallError(operation, path: path, errno: failure) }
        }
    }
}
