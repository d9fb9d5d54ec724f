/// A repository definition, repository or package that could not be read or fetched, with a
/// message naming the file, repository or package at fault.
public struct PackageSourceError: Error, CustomStringConvertible {
    /// What went wrong, for callers that tell failures apart.
    public enum Kind: Sendable {
        /// A `.repo` file or a repository's metadata could not be read or fetched.
        case repository
        /// A package or `repomd.xml` lacks a signature its repository requires, or carries a
        /// bad one, or one by a key the repository does not list.
        case signature
    }

    public var kind: Kind
    public var message: String
    public var description: String { message }
    public init(_ message: String, kind: Kind = .repository) {
        self.kind = kind
        self.message = message
    }
}
