import RPM

/// Orders packages so that each comes after the packages providing what it requires, as rpm
/// orders a transaction; cycles are broken by name so the order is reproducible.
public enum InstallOrder {
    public static func sorted(_ packages: [CachedPackage]) -> [CachedPackage] {
        let byName = packages.sorted { $0.header.name < $1.header.name }
        var provider: [String: Int] = [:]
        for (index, package) in byName.enumerated() {
            for capability in package.header.provides + package.header.files.map(\.path) where provider[capability] == nil {
                provider[capability] = index
            }
        }
        var dependencies = byName.map { package -> Set<Int> in
            Set(package.header.requires.compactMap { provider[$0] })
        }
        for index in dependencies.indices { dependencies[index].remove(index) }
        var placed = Set<Int>()
        var order: [CachedPackage] = []
        while order.count < byName.count {
            // The first package (by name) whose dependencies are all placed; if a cycle
            // leaves none, the first remaining package goes next.
            let remaining = byName.indices.filter { !placed.contains($0) }
            let next = remaining.first { dependencies[$0].isSubset(of: placed) } ?? remaining[0]
            placed.insert(next)
            order.append(byName[next])
        }
        return order
    }
}
