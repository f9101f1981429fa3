//! A programme as Bothy runs it: metadata, ordered modules, pages made of
//! text, tools, reflection questions and the crisis contacts.

use serde::{Deserialize, Serialize};

/// The interactive tools a page may embed (`{{tool: ID}}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    ThoughtRecord,
    ActivityDiary,
    WorryLog,
    ExposureHierarchy,
    SleepDiary,
    Goals,
}

impl Tool {
    pub const ALL: [Tool; 6] = [
        Tool::ThoughtRecord,
        Tool::ActivityDiary,
        Tool::WorryLog,
        Tool::ExposureHierarchy,
        Tool::SleepDiary,
        Tool::Goals,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tool::ThoughtRecord => "thought-record",
            Tool::ActivityDiary => "activity-diary",
            Tool::WorryLog => "worry-log",
            Tool::ExposureHierarchy => "exposure-hierarchy",
            Tool::SleepDiary => "sleep-diary",
            Tool::Goals => "goals",
        }
    }

    pub fn parse(s: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Tool::ThoughtRecord => "Thought record",
            Tool::ActivityDiary => "Activity diary and planner",
            Tool::WorryLog => "Worry log",
            Tool::ExposureHierarchy => "Exposure ladder",
            Tool::SleepDiary => "Sleep diary",
            Tool::Goals => "Goals",
        }
    }
}

/// Guided (with a supporter's reviews) or self-help open to every patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Guided,
    Library,
}

/// One piece of a page, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Block {
    /// Plain Markdown (paragraphs, lists, links), rendered escaped.
    Text(String),
    Tool(Tool),
    /// A reflection question the person may answer in writing.
    Reflect(String),
    /// The service's crisis contacts.
    Crisis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Module {
    /// The file name without `.md` (`02-doing-more`).
    pub id: String,
    pub title: String,
    pub minutes: u32,
    /// Instruments due when the module starts.
    pub measures: Vec<String>,
    pub homework: String,
    pub pages: Vec<Page>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Programme {
    /// The folder's name (`low-mood`).
    pub id: String,
    pub title: String,
    pub condition: String,
    pub population: String,
    /// Semantic version; an enrolment pins it.
    pub version: String,
    pub licence: String,
    pub reading_age: u32,
    pub authors: Vec<String>,
    pub clinical_reviewer: String,
    pub reviewed_on: String,
    pub kind: Kind,
    pub introduction: Vec<Block>,
    pub modules: Vec<Module>,
}

impl Programme {
    pub fn module(&self, id: &str) -> Option<&Module> {
        self.modules.iter().find(|m| m.id == id)
    }

    /// Every tool the programme's pages embed.
    pub fn tools(&self) -> impl Iterator<Item = Tool> + '_ {
        self.modules
            .iter()
            .flat_map(|m| &m.pages)
            .flat_map(|p| &p.blocks)
            .filter_map(|b| match b {
                Block::Tool(t) => Some(*t),
                _ => None,
            })
    }
}
