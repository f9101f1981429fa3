//! Apache Parquet files for report tables and extracts, written a row
//! group at a time so that a national extract streams in bounded memory:
//! each [`ParquetFile::row_group`] returns the bytes it produced, to be
//! sent before the next page is read, and only the footer (a few hundred
//! bytes a row group) is held to the end. Every column is OPTIONAL (null
//! where a cell is empty or suppressed); text is UTF-8 (`STRING`), days
//! are `DATE`, counts `INT64` and scores `DOUBLE`, Snappy-compressed, so
//! DuckDB, Spark, pandas and R's arrow read the types without a schema.

use super::columns::{Cell, Column, Kind};
use crate::AppError;
use bothy_domain::time::Date;
use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::data_type::{ByteArray, ByteArrayType, DataType, DoubleType, Int32Type, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedColumnWriter, SerializedFileWriter};
use parquet::schema::types::Type;
use std::sync::Arc;

fn internal(e: ParquetError) -> AppError {
    AppError::Internal(Box::new(e))
}

/// A Parquet file being written into memory and handed out piecewise.
pub struct ParquetFile {
    file: SerializedFileWriter<Vec<u8>>,
    kinds: Vec<Kind>,
}

fn field(name: &str, kind: Kind) -> Result<Arc<Type>, ParquetError> {
    let (physical, logical) = match kind {
        Kind::Text => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
        Kind::Int => (Physical::INT64, None),
        Kind::Date => (Physical::INT32, Some(LogicalType::Date)),
        Kind::Float => (Physical::DOUBLE, None),
    };
    Ok(Arc::new(
        Type::primitive_type_builder(name, physical)
            .with_repetition(Repetition::OPTIONAL)
            .with_logical_type(logical)
            .build()?,
    ))
}

/// One column of a row group: the values present (a cell of another kind
/// is null) and a definition level per row (1 present, 0 null).
fn write<'c, T: DataType>(
    column: &mut SerializedColumnWriter<'_>,
    cells: impl Iterator<Item = &'c Cell>,
    defs: &[i16],
    value: impl Fn(&Cell) -> Option<T::T>,
) -> Result<(), ParquetError> {
    let values: Vec<T::T> = cells.filter_map(value).collect();
    column
        .typed::<T>()
        .write_batch(&values, Some(defs), None)
        .map(|_| ())
}

/// Days since 1970-01-01, as Parquet's DATE counts them.
fn epoch_days(d: Date) -> i32 {
    d.since(Date::constant(1970, 1, 1))
        .map(|span| span.get_days())
        .unwrap_or(0)
}

impl ParquetFile {
    pub fn new(columns: &[Column]) -> Result<ParquetFile, AppError> {
        let fields = columns
            .iter()
            .map(|(name, kind)| field(name, *kind))
            .collect::<Result<Vec<_>, _>>()
            .map_err(internal)?;
        let schema = Type::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .map_err(internal)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("Bothy {}", env!("CARGO_PKG_VERSION")))
            .build();
        let file = SerializedFileWriter::new(Vec::new(), Arc::new(schema), Arc::new(props))
            .map_err(internal)?;
        Ok(ParquetFile {
            file,
            kinds: columns.iter().map(|(_, k)| *k).collect(),
        })
    }

    /// Writes `rows` as one row group and returns every byte written since
    /// the last call (the file's magic number first). A cell whose kind is
    /// not its column's is written as null.
    pub fn row_group(&mut self, rows: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
        if !rows.is_empty() {
            self.write_group(rows).map_err(internal)?;
        }
        self.file.flush().map_err(|e| internal(e.into()))?;
        // The writer counts bytes itself (for the footer's offsets), so the
        // buffer under it can be emptied once flushed.
        Ok(std::mem::take(self.file.inner_mut()))
    }

    fn write_group(&mut self, rows: &[Vec<Cell>]) -> Result<(), ParquetError> {
        let mut group = self.file.next_row_group()?;
        let mut i = 0;
        while let Some(mut column) = group.next_column()? {
            let kind = self.kinds[i];
            let cells = || rows.iter().map(move |r| r.get(i).unwrap_or(&Cell::Null));
            let defs: Vec<i16> = cells().map(|c| i16::from(c.kind() == Some(kind))).collect();
            let writer = &mut column;
            match kind {
                Kind::Text => write::<ByteArrayType>(writer, cells(), &defs, |c| match c {
                    Cell::Text(s) => Some(ByteArray::from(s.as_str())),
                    _ => None,
                }),
                Kind::Int => write::<Int64Type>(writer, cells(), &defs, |c| match c {
                    Cell::Int(n) => Some(*n),
                    _ => None,
                }),
                Kind::Date => write::<Int32Type>(writer, cells(), &defs, |c| match c {
                    Cell::Date(d) => Some(epoch_days(*d)),
                    _ => None,
                }),
                Kind::Float => write::<DoubleType>(writer, cells(), &defs, |c| match c {
                    Cell::Float(v) => Some(*v),
                    _ => None,
                }),
            }?;
            column.close()?;
            i += 1;
        }
        group.close()?;
        Ok(())
    }

    /// Writes the footer and returns the file's last bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, AppError> {
        self.file.finish().map_err(internal)?;
        Ok(std::mem::take(self.file.inner_mut()))
    }

    /// A whole small file at once (a dashboard table).
    pub fn write_all(columns: &[Column], rows: &[Vec<Cell>]) -> Result<Vec<u8>, AppError> {
        let mut file = ParquetFile::new(columns)?;
        let mut out = file.row_group(rows)?;
        out.extend(file.finish()?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    fn columns() -> Vec<Column> {
        vec![
            ("id".into(), Kind::Text),
            ("n".into(), Kind::Int),
            ("day".into(), Kind::Date),
            ("score".into(), Kind::Float),
        ]
    }

    fn row(i: i64) -> Vec<Cell> {
        vec![
            Cell::text(format!("p{i}")),
            if i % 3 == 0 { Cell::Null } else { Cell::Int(i) },
            Cell::Date(Date::constant(2026, 4, 1)),
            Cell::Float(i as f64 / 2.0),
        ]
    }

    #[test]
    fn row_groups_stream_and_read_back() {
        let mut file = ParquetFile::new(&columns()).unwrap();
        let mut bytes = Vec::new();
        for group in 0..3 {
            let rows: Vec<_> = (group * 100..group * 100 + 100).map(row).collect();
            let chunk = file.row_group(&rows).unwrap();
            // Each group's pages leave as soon as it is written.
            assert!(
                chunk.len() > 100,
                "group {group} gave {} bytes",
                chunk.len()
            );
            bytes.extend(chunk);
        }
        let footer = file.finish().unwrap();
        assert!(footer.ends_with(b"PAR1"));
        bytes.extend(footer);
        assert!(bytes.starts_with(b"PAR1"));

        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 3);
        let rows: Vec<_> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(rows.len(), 300);
        let fields: Vec<_> = rows[3].get_column_iter().map(|(_, f)| f.clone()).collect();
        assert_eq!(fields[0], Field::Str("p3".into()));
        assert_eq!(fields[1], Field::Null);
        // 2026-04-01 is day 20,544 after 1970-01-01.
        assert_eq!(fields[2], Field::Date(20_544));
        assert_eq!(fields[3], Field::Double(1.5));
        let fields: Vec<_> = rows[299]
            .get_column_iter()
            .map(|(_, f)| f.clone())
            .collect();
        assert_eq!(fields[1], Field::Long(299));
    }

    #[test]
    fn an_empty_extract_is_still_a_file() {
        let mut file = ParquetFile::new(&columns()).unwrap();
        let mut bytes = file.row_group(&[]).unwrap();
        bytes.extend(file.finish().unwrap());
        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).unwrap();
        assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
        assert_eq!(
            reader
                .metadata()
                .file_metadata()
                .schema_descr()
                .num_columns(),
            4
        );
    }
}
