/// A repository or package that librepo could not fetch, naming the URL.
public struct RepoFetchError: Error, CustomStringConvertible {
    /// The repository id or package at fault.
    public var subject: String
    public var message: String
    public var description: String { "\(subject): \(message)" }

    public init(_ subject: String, _ message: String) {
        self.subject = subject
        self.message = message
    }
}
