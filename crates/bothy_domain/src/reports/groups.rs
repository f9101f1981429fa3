//! The groups a report is cut by: age bands, deprivation and the
//! breakdowns the dashboard offers.

use crate::identifiers::UkPostcode;
use crate::person::Invalid;

/// Age bands of the NHS Talking Therapies annual report and the ONS
/// standard ten-year bands, with the under-18s and over-65s apart because
/// services are commissioned for them separately. Age is in whole years
/// on the last day of the reporting period (docs/reports.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgeBand {
    Under18,
    From18To24,
    From25To34,
    From35To44,
    From45To54,
    From55To64,
    From65,
}

impl AgeBand {
    pub const ALL: [AgeBand; 7] = [
        AgeBand::Under18,
        AgeBand::From18To24,
        AgeBand::From25To34,
        AgeBand::From35To44,
        AgeBand::From45To54,
        AgeBand::From55To64,
        AgeBand::From65,
    ];

    /// The youngest age in the band.
    pub fn lowest(self) -> i64 {
        match self {
            AgeBand::Under18 => 0,
            AgeBand::From18To24 => 18,
            AgeBand::From25To34 => 25,
            AgeBand::From35To44 => 35,
            AgeBand::From45To54 => 45,
            AgeBand::From55To64 => 55,
            AgeBand::From65 => 65,
        }
    }

    pub fn of(age: i64) -> AgeBand {
        AgeBand::ALL
            .into_iter()
            .rev()
            .find(|b| age >= b.lowest())
            .unwrap_or(AgeBand::Under18)
    }

    pub fn label(self) -> &'static str {
        match self {
            AgeBand::Under18 => "Under 18",
            AgeBand::From18To24 => "18 to 24",
            AgeBand::From25To34 => "25 to 34",
            AgeBand::From35To44 => "35 to 44",
            AgeBand::From45To54 => "45 to 54",
            AgeBand::From55To64 => "55 to 64",
            AgeBand::From65 => "65 and over",
        }
    }
}

/// Age in whole years on `on`, from dates written as YYYYMMDD numbers:
/// (on - born) / 10000 is exact, birthdays included, and is the same
/// arithmetic the store runs in SQL on either database.
pub fn age_years(born_yyyymmdd: i64, on_yyyymmdd: i64) -> i64 {
    (on_yyyymmdd - born_yyyymmdd).div_euclid(10_000)
}

/// An edition of an area deprivation index, as a deployment imports it.
/// Both rank small areas and give each a decile with 1 the most deprived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Edition {
    /// Scottish Index of Multiple Deprivation 2020 version 2, by postcode
    /// (Scottish Government, "SIMD 2020v2 postcode look-up").
    Simd2020v2,
    /// English Indices of Deprivation 2019, by LSOA, joined to postcodes
    /// through the ONS postcode directory (MHCLG, "English indices of
    /// deprivation 2019"; ONS NSPL).
    Imd2019,
}

impl Edition {
    pub const ALL: [Edition; 2] = [Edition::Simd2020v2, Edition::Imd2019];

    pub fn as_str(self) -> &'static str {
        match self {
            Edition::Simd2020v2 => "simd2020v2",
            Edition::Imd2019 => "imd2019",
        }
    }

    pub fn parse(s: &str) -> Result<Edition, Invalid> {
        Edition::ALL
            .into_iter()
            .find(|e| e.as_str() == s.trim().to_ascii_lowercase())
            .ok_or(Invalid("The edition must be simd2020v2 or imd2019"))
    }

    pub fn index_name(self) -> &'static str {
        match self {
            Edition::Simd2020v2 => "SIMD 2020v2",
            Edition::Imd2019 => "IMD 2019",
        }
    }
}

/// A deprivation decile: 1 is the most deprived tenth of areas, 10 the least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Decile(u8);

impl Decile {
    pub fn new(n: i64) -> Result<Decile, Invalid> {
        u8::try_from(n)
            .ok()
            .filter(|d| (1..=10).contains(d))
            .map(Decile)
            .ok_or(Invalid("A decile must be a whole number from 1 to 10"))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Quintile 1 (most deprived: deciles 1-2) to 5 (least: deciles 9-10),
    /// as SIMD and IMD publications pair them.
    pub fn quintile(self) -> u8 {
        self.0.div_ceil(2)
    }
}

/// One line of a deprivation look-up file: `postcode,decile`. A header
/// line and blank lines are the caller's to skip (`None` here).
pub fn lookup_line(line: &str) -> Option<Result<(UkPostcode, Decile), Invalid>> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    let (postcode, decile) = match line.rsplit_once(',') {
        Some(parts) => parts,
        None => return Some(Err(Invalid("Each line must be postcode,decile"))),
    };
    let decile = decile.trim().trim_matches('"');
    if postcode.to_ascii_lowercase().contains("postcode") {
        return None;
    }
    Some((|| {
        let pc = UkPostcode::parse(postcode.trim().trim_matches('"'))?;
        let d = decile
            .parse::<i64>()
            .map_err(|_| Invalid("A decile must be a whole number from 1 to 10"))?;
        Ok((pc, Decile::new(d)?))
    })())
}

/// What a dashboard's figures are cut by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Breakdown {
    #[default]
    None,
    Quintile,
    AgeBand,
    Sex,
    Ethnicity,
    Channel,
}

impl Breakdown {
    pub const ALL: [Breakdown; 6] = [
        Breakdown::None,
        Breakdown::Quintile,
        Breakdown::AgeBand,
        Breakdown::Sex,
        Breakdown::Ethnicity,
        Breakdown::Channel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Breakdown::None => "none",
            Breakdown::Quintile => "quintile",
            Breakdown::AgeBand => "age",
            Breakdown::Sex => "sex",
            Breakdown::Ethnicity => "ethnicity",
            Breakdown::Channel => "channel",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Breakdown::None => "No breakdown",
            Breakdown::Quintile => "Deprivation quintile",
            Breakdown::AgeBand => "Age band",
            Breakdown::Sex => "Sex",
            Breakdown::Ethnicity => "Ethnicity",
            Breakdown::Channel => "Channel",
        }
    }

    pub fn parse(s: &str) -> Result<Breakdown, Invalid> {
        if s.is_empty() {
            return Ok(Breakdown::None);
        }
        Breakdown::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or(Invalid("Choose a breakdown from the list"))
    }

    /// The label of a group key as the store returns it ("" is unknown).
    pub fn group_label(self, key: &str) -> String {
        if key.is_empty() {
            return "Not known".to_string();
        }
        match self {
            Breakdown::None => "All".to_string(),
            Breakdown::Quintile => match key {
                "1" => "1 (most deprived)".to_string(),
                "5" => "5 (least deprived)".to_string(),
                k => k.to_string(),
            },
            Breakdown::AgeBand => key
                .parse::<i64>()
                .map_or_else(|_| key.to_string(), |a| AgeBand::of(a).label().to_string()),
            Breakdown::Channel => match key {
                "sms" => "SMS".to_string(),
                _ => "Web".to_string(),
            },
            Breakdown::Sex | Breakdown::Ethnicity => {
                let mut c = key.chars();
                c.next().map_or_else(String::new, |f| {
                    f.to_uppercase().collect::<String>() + &c.as_str().replace('_', " ")
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_count_birthdays_exactly() {
        assert_eq!(age_years(20000615, 20180614), 17);
        assert_eq!(age_years(20000615, 20180615), 18);
        assert_eq!(age_years(20000229, 20190228), 18);
        assert_eq!(AgeBand::of(17), AgeBand::Under18);
        assert_eq!(AgeBand::of(18), AgeBand::From18To24);
        assert_eq!(AgeBand::of(64), AgeBand::From55To64);
        assert_eq!(AgeBand::of(65), AgeBand::From65);
        assert_eq!(AgeBand::of(-1), AgeBand::Under18);
    }

    #[test]
    fn deciles_pair_into_quintiles() {
        let q: Vec<u8> = (1..=10)
            .map(|d| Decile::new(d).unwrap().quintile())
            .collect();
        assert_eq!(q, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        assert!(Decile::new(0).is_err());
        assert!(Decile::new(11).is_err());
    }

    #[test]
    fn lookup_lines() {
        assert_eq!(lookup_line("Postcode,SIMD2020v2_Decile"), None);
        assert_eq!(lookup_line("  "), None);
        let (pc, d) = lookup_line("eh11aa, 3").unwrap().unwrap();
        assert_eq!((pc.as_str(), d.get()), ("EH1 1AA", 3));
        assert!(lookup_line("EH1 1AA,12").unwrap().is_err());
        assert!(lookup_line("nonsense").unwrap().is_err());
        assert_eq!(Edition::parse("SIMD2020v2"), Ok(Edition::Simd2020v2));
        assert!(Edition::parse("simd2016").is_err());
    }

    #[test]
    fn breakdowns_round_trip() {
        for b in Breakdown::ALL {
            assert_eq!(Breakdown::parse(b.as_str()), Ok(b));
        }
        assert_eq!(Breakdown::parse(""), Ok(Breakdown::None));
        assert_eq!(Breakdown::AgeBand.group_label("30"), "25 to 34");
        assert_eq!(Breakdown::Quintile.group_label(""), "Not known");
        assert_eq!(Breakdown::Channel.group_label("sms"), "SMS");
    }
}
