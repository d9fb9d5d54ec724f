/// Why a test fixture could not be made.
public enum FixtureError: Error, CustomStringConvertible {
    /// A spec file asked for by name is not in `images/fixtures`.
    case missingSpecFile(String)
    /// `images/fixtures` holds no spec files at all.
    case noSpecFiles(directory: String)

    public var description: String {
        switch self {
        case .missingSpecFile(let path): "no fixture spec file at \(path)"
        case .noSpecFiles(let directory): "no fixture spec files (*.spec) in \(directory)"
        }
    }
}
