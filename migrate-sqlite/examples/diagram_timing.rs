fn main() {
    let n: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    for i in 0..n {
        let fk = if i > 0 {
            format!(", p{} INTEGER REFERENCES t{} (id)", i, (i * 7) % i)
        } else {
            String::new()
        };
        conn.execute_batch(&format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, value REAL, created TEXT{fk});")).unwrap();
    }
    let t = std::time::Instant::now();
    let d = migrate_sqlite::diagram::Diagram::read(&conn).unwrap();
    eprintln!("read {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let m = d.mermaid();
    let dot = d.dot();
    eprintln!("mermaid+dot {:?} {} {}", t.elapsed(), m.len(), dot.len());
    let t = std::time::Instant::now();
    let svg = d.svg();
    eprintln!("svg {:?} {} bytes", t.elapsed(), svg.len());
    if let Some(path) = std::env::args().nth(2) {
        std::fs::write(path, &svg).unwrap();
    }
}
