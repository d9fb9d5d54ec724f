/// Why a set of packages could not be resolved, in words a user can act on.
public enum SolverError: Error, CustomStringConvertible {
    /// No package or provide matches the requested name.
    case packageNotFound(String)
    /// libsolv found no consistent set; the text lists its problems.
    case unresolvable(String)
    /// Loading repository metadata or the installed set failed.
    case loadFailed(String)

    public var description: String {
        switch self {
        case .packageNotFound(let name): "no package provides '\(name)' in the enabled repositories"
        case .unresolvable(let problems): "cannot resolve the package set: \(problems)"
        case .loadFailed(let message): message
        }
    }
}
