/// A repository or package that librepo could not fetch, naming the URL.
public struct RepoFetchError: Error, CustomStringConvertible {
    /// The repository id or package at fault.
    public var subject: String
    public var message: String
    /// Whether a signature check failed (a key, `repomd.xml.asc`): trying again cannot help.
    public var isAboutSignature: Bool
    public var description: String { "\(subject): \(message)" }

    public init(_ subject: String, _ message: String, isAboutSignature: Bool = false) {
        self.subject = subject
        self.message = message
        self.isAboutSignature = isAboutSignature
    }
}
