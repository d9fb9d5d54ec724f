/// A package that librpm could not read or a database it could not write, naming the file.
public struct RPMError: Error, CustomStringConvertible {
    /// The package file or database directory at fault.
    public var subject: String
    public var message: String
    public var description: String { "\(subject): \(message)" }

    public init(_ subject: String, _ message: String) {
        self.subject = subject
        self.message = message
    }
}
