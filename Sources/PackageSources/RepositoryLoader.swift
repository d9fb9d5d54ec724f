import RepoFetch
import Solver
import ToolSupport

/// Brings rpm-md repositories into a solver: metadata fetched with librepo (`file://` read in
/// place, `http(s)://` into a cache) and loaded with libdnf.
public enum RepositoryLoader {
    /// Fetches and loads each of `definitions`; a repository that cannot be fetched is an
    /// error naming its `.repo` file.
    public static func load(_ definitions: [RepoDefinition], into solver: PackageSolver, cacheDirectory: String) throws {
        for definition in definitions {
            Console.progress("Fetching metadata of repository '\(definition.id)'")
            let fetched: FetchedMetadata
            do {
                fetched = try RepositoryDownloader.fetchMetadata(id: definition.id, baseURLs: definition.baseURLs,
                                                                 cacheDirectory: cacheDirectory)
            } catch let error as RepoFetchError {
                throw PackageSourceError("\(definition.file): \(error)")
            }
            try solver.addRepository(RepositoryMetadataFiles(id: definition.id, repomd: fetched.repomd,
                                                             primary: fetched.primary, filelists: fetched.filelists))
        }
    }
}
