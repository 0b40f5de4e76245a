package datagen

// Word lists the generators compose their vocabularies from. They are
// read-only; vocabularies built from them use a fixed seed (vocabSeed), so
// that the same names and ids exist whatever seed generates the rows, and a
// test query can name a value (CounterID = 62, color = 'red') with
// confidence that it occurs.

const vocabSeed = 0x74616e6e696e // "tannin"

var productAdjectives = [...]string{
	"Awesome", "Elegant", "Ergonomic", "Fantastic", "Generic", "Gorgeous",
	"Handcrafted", "Handmade", "Incredible", "Intelligent", "Licensed",
	"Modern", "Practical", "Refined", "Rustic", "Sleek", "Small", "Tasty",
	"Unbranded", "Oriental",
}

var productMaterials = [...]string{
	"Bronze", "Concrete", "Cotton", "Fresh", "Frozen", "Granite", "Leather",
	"Metal", "Plastic", "Rubber", "Silk", "Soft", "Steel", "Wooden", "Wool",
}

// products pairs a product with the department that sells it.
var products = [...]struct{ name, department string }{
	{"Bacon", "Grocery"}, {"Bag", "Clothing"}, {"Ball", "Sports"},
	{"Bike", "Sports"}, {"Car", "Automotive"}, {"Chair", "Home"},
	{"Cheese", "Grocery"}, {"Chicken", "Grocery"}, {"Chips", "Grocery"},
	{"Computer", "Electronics"}, {"Fish", "Grocery"}, {"Gloves", "Clothing"},
	{"Hat", "Clothing"}, {"Keyboard", "Computers"}, {"Mouse", "Computers"},
	{"Pants", "Clothing"}, {"Pizza", "Grocery"}, {"Salad", "Grocery"},
	{"Sausages", "Grocery"}, {"Shirt", "Clothing"}, {"Shoes", "Shoes"},
	{"Soap", "Health"}, {"Table", "Home"}, {"Towels", "Home"}, {"Tuna", "Grocery"},
	{"Lamp", "Home"}, {"Watch", "Jewelry"}, {"Necklace", "Jewelry"},
	{"Drill", "Tools"}, {"Hammer", "Tools"}, {"Novel", "Books"},
	{"Cookbook", "Books"}, {"Puzzle", "Toys"}, {"Doll", "Toys"},
	{"Headphones", "Electronics"}, {"Camera", "Electronics"}, {"Tent", "Outdoors"},
	{"Shovel", "Garden"}, {"Shampoo", "Beauty"}, {"Stroller", "Baby"},
}

var colors = [...]string{
	"azure", "black", "blue", "cyan", "fuchsia", "gold", "green", "grey",
	"indigo", "ivory", "lavender", "lime", "magenta", "maroon", "mint green",
	"navy", "olive", "orange", "orchid", "pink", "plum", "purple", "red",
	"salmon", "silver", "sky blue", "tan", "teal", "turquoise", "violet",
	"white", "yellow",
}

var campaigns = [...]string{"BlackFriday", "10Percent", "NONE"}

// Clickstream vocabularies.

var siteHosts = [...]string{
	"news.example.com", "shop.example.com", "video.example.net",
	"mail.example.org", "maps.example.com", "auto.example.ru",
	"realty.example.ru", "weather.example.com", "music.example.net",
	"travel.example.org", "games.example.net", "sport.example.com",
	"market.example.ru", "jobs.example.com", "forum.example.org",
	"kino.example.ru", "photo.example.net", "blog.example.com",
	"wiki.example.org", "bank.example.com",
}

var sections = [...]string{
	"news", "catalog", "item", "search", "video", "watch", "profile", "cart",
	"checkout", "article", "forum/thread", "photos", "album", "category",
	"deals", "help", "login", "settings", "messages", "map", "route",
	"weather/city", "film", "series", "music/track", "game", "sport/match",
	"vacancy", "resume", "realty/flat",
}

var refererHosts = [...]string{
	"", "", "", "https://www.google.com/search", "https://yandex.ru/search",
	"https://www.bing.com/search", "https://duckduckgo.com/",
	"https://vk.com/feed", "https://www.facebook.com/", "https://t.co/",
	"https://news.example.com/", "https://mail.example.org/inbox",
	"https://forum.example.org/thread",
}

var titleTopics = [...]string{
	"Weather", "Breaking news", "Cheap flights", "Used cars", "Flats for rent",
	"Football scores", "Recipes", "Movie trailers", "Music charts",
	"Job offers", "Online games", "Photo gallery", "City map", "Exchange rates",
	"Horoscope", "TV schedule", "Free e-mail", "Hotels", "Sales", "Forum",
}

var titlePlaces = [...]string{
	"Moscow", "Saint Petersburg", "Kazan", "Novosibirsk", "Yekaterinburg",
	"Minsk", "Kyiv", "Almaty", "Berlin", "Paris", "London", "New York",
	"Istanbul", "Sochi", "Riga",
}

var phraseWords = [...]string{
	"buy", "cheap", "online", "free", "download", "watch", "movie", "song",
	"car", "flat", "rent", "weather", "tomorrow", "moscow", "iphone",
	"samsung", "price", "review", "recipe", "cake", "football", "news",
	"today", "hotel", "ticket", "train", "flight", "map", "bank", "loan",
	"job", "vacancy", "game", "torrent", "photo", "dress", "shoes", "sale",
	"translate", "dictionary",
}

var phoneModels = [...]string{
	"iPhone", "iPad", "Galaxy S4", "Galaxy S3", "Galaxy Note", "Lumia 920",
	"Nexus 4", "Xperia Z", "HTC One", "Optimus G", "Galaxy Tab", "Kindle Fire",
	"Desire", "Redmi", "Moto X", "Ascend", "Aqua", "Zenfone", "Nokia 5800",
	"BlackBerry Z10",
}

var resolutions = [...][2]int64{
	{1920, 1080}, {1366, 768}, {1280, 1024}, {1440, 900}, {1600, 900},
	{1280, 800}, {1024, 768}, {1680, 1050}, {1920, 1200}, {2560, 1440},
	{1360, 768}, {1280, 720}, {0, 0},
}

var mobileResolutions = [...][2]int64{
	{360, 640}, {375, 667}, {414, 896}, {320, 568}, {768, 1024}, {412, 915},
	{390, 844}, {800, 1280},
}

var languages = [...]string{
	"ru", "en", "uk", "de", "tr", "be", "kk", "fr", "es", "it", "pl", "pt",
	"zh", "ja",
}

var countries = [...]string{
	"RU", "UA", "BY", "KZ", "US", "DE", "TR", "GB", "FR", "PL", "IT", "ES",
	"CN", "JP", "NL", "LV",
}

var tagWords = [...]string{
	"news", "sport", "video", "music", "shopping", "travel", "auto", "games",
	"finance", "weather", "jobs", "realty", "kids", "health", "food", "tech",
	"movies", "books", "social", "mail",
}
