/// A repository definition, repository or package that could not be read or fetched, with a
/// message naming the file, repository or package at fault.
public struct PackageSourceError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}
