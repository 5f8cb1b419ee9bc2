//! The macro call: `catalog!("file.yaml")` or `catalog!("file.yaml", name = EnumName)`.

use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

/// What the user wrote between the parentheses.
pub(crate) struct CatalogInput {
    pub(crate) path: LitStr,
    pub(crate) name: Option<Ident>,
}

impl Parse for CatalogInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path: LitStr = input.parse()?;
        let mut name = None;
        if input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
            let key: Ident = input.parse()?;
            if key != "name" {
                return Err(syn::Error::new(key.span(), "expected `name = EnumName`"));
            }
            input.parse::<Token![=]>()?;
            name = Some(input.parse()?);
            input.parse::<Option<Token![,]>>()?;
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the catalog path"));
        }
        Ok(Self { path, name })
    }
}
