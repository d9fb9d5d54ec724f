/// Why a test fixture could not be made.
public enum FixtureError: Error, CustomStringConvertible {
    /// A spec file asked for by name is not in `images/fixtures`.
    case missingSpecFile(String)
    /// `images/fixtures` holds no spec files at all.
    case noSpecFiles(directory: String)
    /// A package could not be altered the way a test wanted.
    case forging(String)
    /// A script that builds a fixture failed.
    case script(path: String, output: String)

    public var description: String {
        switch self {
        case .missingSpecFile(let path): "no fixture spec file at \(path)"
        case .noSpecFiles(let directory): "no fixture spec files (*.spec) in \(directory)"
        case .forging(let reason): "cannot forge the package: \(reason)"
        case .script(let path, let output): "\(path) failed: \(output)"
        }
    }
}
