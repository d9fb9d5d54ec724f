import RepoFetch
import Solver
import ToolSupport

/// Brings rpm-md repositories into a solver: metadata fetched with librepo (`file://` read in
/// place, `http(s)://` into a cache) and loaded with libdnf.
public enum RepositoryLoader {
    /// Fetches and loads each of `definitions`; a repository that cannot be fetched is an
    /// error naming its `.repo` file.
    /// With `repo_gpgcheck=1`, `repomd.xml` must be signed by one of the repository's keys.
    public static func load(_ definitions: [RepoDefinition], into solver: PackageSolver, cacheDirectory: String,
                            keys: RepositoryKeys) throws {
        for definition in definitions {
            Console.progress("Fetching metadata of repository '\(definition.id)'")
            let fetched: FetchedMetadata
            let signingKeys = try definition.repoGPGCheck ? keys.armoredKeys(of: definition).map(\.text) : nil
            do {
                fetched = try RepositoryDownloader.fetchMetadata(id: definition.id, baseURLs: definition.baseURLs,
                                                                 cacheDirectory: cacheDirectory, signingKeys: signingKeys)
            } catch let error as RepoFetchError {
                let aboutSignature = signingKeys != nil && "\(error)".localizedCaseInsensitiveContains("gpg")
                throw PackageSourceError("\(definition.file): \(error)", kind: aboutSignature ? .signature : .repository)
            }
            try solver.addRepository(RepositoryMetadataFiles(id: definition.id, repomd: fetched.repomd,
                                                             primary: fetched.primary, filelists: fetched.filelists))
        }
    }
}
