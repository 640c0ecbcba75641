/// The fixed vocabulary the generated free texts are drawn from: plain words of a visit note.
enum WordList {
    static let words: [String] = [
        "the", "young", "person", "said", "that", "she", "he", "they", "felt", "happy", "settled", "worried",
        "about", "school", "college", "carer", "foster", "home", "room", "bedroom", "tidy", "warm", "welcoming",
        "visit", "today", "week", "weekend", "friends", "family", "contact", "mum", "dad", "brother", "sister",
        "grandmother", "football", "music", "drawing", "reading", "cooking", "meals", "sleep", "health", "dentist",
        "doctor", "appointment", "attendance", "teacher", "lessons", "maths", "english", "homework", "exams",
        "plans", "future", "apprenticeship", "work", "money", "budget", "bus", "travel", "phone", "online",
        "safety", "risk", "concern", "support", "advice", "agreed", "discussed", "explained", "listened",
        "wanted", "asked", "talked", "shared", "showed", "described", "enjoyed", "missed", "likes", "dislikes",
        "routine", "evening", "morning", "breakfast", "dinner", "garden", "dog", "cat", "pets", "bike", "park",
        "swimming", "club", "youth", "worker", "pathway", "plan", "review", "goals", "progress", "confidence",
        "calm", "quiet", "chatty", "open", "honest", "thoughtful", "positive", "relaxed", "anxious", "tired",
        "careful", "kind", "helpful", "relationship", "trust", "stable", "placement", "move", "stay", "remain",
        "independent", "skills", "laundry", "shopping", "cleaning", "savings", "bank", "account", "identity",
        "culture", "language", "faith", "community", "neighbours", "holiday", "summer", "winter", "birthday",
        "celebration", "photos", "memories", "letter", "social", "media", "gaming", "console", "television",
        "films", "series", "walk", "outside", "together", "alone", "seen", "private", "space", "respect",
        "choices", "decisions", "voice", "views", "wishes", "feelings", "hopes", "fears", "questions",
        "answers", "progressing", "improving", "steady", "consistent", "reliable", "attentive", "encouraging",
        "boundaries", "curfew", "return", "late", "early", "usual", "recently", "sometimes", "often", "rarely",
        "never", "always", "still", "again", "also", "very", "quite", "much", "more", "less", "well", "good",
        "better", "clear", "and", "but", "with", "for", "from", "into", "over", "after", "before", "during",
        "while", "because", "when", "where", "was", "is", "has", "had", "would", "could", "should", "will",
        "next", "time", "until", "since", "each", "every", "other", "own", "new", "old", "local", "nearby",
    ]
}
