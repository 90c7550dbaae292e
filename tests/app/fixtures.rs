//! Realistic request bodies built from the live questionnaire definition, so tests follow the
//! content instead of hard-coding it.

use serde_json::{Map, Value, json};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Best,
    Worst,
    /// A middle option, varied by question index and seed.
    Varied(u64),
}

/// Answers for every scored and unscored choice question of a definition JSON.
pub fn answers(def: &Value, pick: Pick) -> Map<String, Value> {
    let mut answers = Map::new();
    let mut i = 0u64;
    for section in def["sections"].as_array().unwrap() {
        for q in section["questions"].as_array().unwrap() {
            i += 1;
            let id = q["id"].as_str().unwrap().to_string();
            let options: Vec<&Value> = q["options"]
                .as_array()
                .map(|o| o.iter().collect())
                .unwrap_or_default();
            let points = |o: &&Value| o["points"].as_f64();
            let answer = match q["type"].as_str().unwrap() {
                "single_choice" => {
                    let scored: Vec<&Value> = options
                        .iter()
                        .copied()
                        .filter(|o| points(o).is_some() || q["scored"] == false)
                        .collect();
                    let chosen = match pick {
                        Pick::Best => scored
                            .iter()
                            .max_by(|a, b| points(a).partial_cmp(&points(b)).unwrap()),
                        Pick::Worst => scored
                            .iter()
                            .min_by(|a, b| points(a).partial_cmp(&points(b)).unwrap()),
                        Pick::Varied(seed) => scored
                            .get(((seed.wrapping_mul(31) + i * 7) % scored.len() as u64) as usize),
                    };
                    chosen.map(|o| o["value"].clone())
                }
                "multiple_choice" => {
                    let non_exclusive: Vec<&Value> = options
                        .iter()
                        .copied()
                        .filter(|o| {
                            o["exclusive"] != true
                                && o["not_applicable"] != true
                                && o["value"] != "other"
                        })
                        .collect();
                    let max = q["max_choices"].as_u64().unwrap_or(u64::MAX) as usize;
                    let chosen: Vec<Value> = match pick {
                        Pick::Best => non_exclusive
                            .iter()
                            .filter(|o| points(o).unwrap_or(0.0) > 0.0 || q["scored"] == false)
                            .take(max)
                            .map(|o| o["value"].clone())
                            .collect(),
                        Pick::Worst => match options.iter().find(|o| o["exclusive"] == true) {
                            Some(o) => vec![o["value"].clone()],
                            None => non_exclusive
                                .iter()
                                .take(1)
                                .map(|o| o["value"].clone())
                                .collect(),
                        },
                        Pick::Varied(seed) => {
                            let n = 1 + ((seed + i) % max.min(non_exclusive.len()) as u64) as usize;
                            non_exclusive
                                .iter()
                                .skip(((seed + i) % 2) as usize)
                                .take(n.min(max))
                                .map(|o| o["value"].clone())
                                .collect()
                        }
                    };
                    (!chosen.is_empty()).then_some(Value::Array(chosen))
                }
                "scale" => {
                    let (min, max) = (q["min"].as_f64().unwrap(), q["max"].as_f64().unwrap());
                    Some(json!(match pick {
                        Pick::Best => max,
                        Pick::Worst => min,
                        Pick::Varied(s) => min + ((s + i) % (max - min + 1.0) as u64) as f64,
                    }))
                }
                _ => None,
            };
            if let Some(a) = answer {
                answers.insert(id, a);
            }
        }
    }
    answers
}

pub fn business(province: &str, sector: &str, employees: u32, trade: &str) -> Value {
    json!({
        "name": "Cửa hàng Minh Anh",
        "province": province,
        "sector": sector,
        "employees": employees,
        "trade": trade,
    })
}

pub fn body(def: &Value, pick: Pick) -> Value {
    json!({
        "lang": "vi",
        "business": business("hung-yen", "retail", 6, "none"),
        "answers": answers(def, pick),
    })
}
