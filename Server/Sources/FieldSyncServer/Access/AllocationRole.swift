/// How a worker is allocated to a young person. The key worker's team is the young person's
/// team (whose manager oversees the records); a co-worker sees the records too. A young person
/// has at most one key worker at a time: allocating a new one ends the old one's allocation.
public enum AllocationRole: String, Sendable, CaseIterable {
    case key
    case co
}
