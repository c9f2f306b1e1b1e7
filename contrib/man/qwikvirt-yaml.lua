-- qwikvirt-yaml.lua: pandoc filter that makes configs/README.md (the schema reference) into the
-- man page qwikvirt.yaml(5): NAME and SYNOPSIS first, sections one level up, links as text.

local first_h1_seen = false

-- A link to an example file reads as its text; the examples are installed next to each other.
function Link(el)
  return el.content
end

-- The inlines of a table cell (its blocks flattened).
local function cell_inlines(cell)
  local out = {}
  for _, b in ipairs(cell.contents) do
    if b.content then
      for _, i in ipairs(b.content) do table.insert(out, i) end
    end
  end
  return out
end

-- Wide tables do not fit a terminal: each row becomes a definition, its first cell the term
-- and the other cells, labelled by their column's heading, the text.
function Table(el)
  local heads = {}
  if #el.head.rows > 0 then
    for i, c in ipairs(el.head.rows[1].cells) do heads[i] = pandoc.utils.stringify(c.contents) end
  end
  local items = {}
  for _, body in ipairs(el.bodies) do
    for _, row in ipairs(body.body) do
      local term = cell_inlines(row.cells[1])
      local text = {}
      for i = 2, #row.cells do
        local inl = cell_inlines(row.cells[i])
        if #inl > 0 then
          if #text > 0 then
            table.insert(text, pandoc.Str(";"))
            table.insert(text, pandoc.Space())
          end
          if heads[i] and heads[i] ~= "" then
            table.insert(text, pandoc.Emph({pandoc.Str(heads[i] .. ":")}))
            table.insert(text, pandoc.Space())
          end
          for _, x in ipairs(inl) do table.insert(text, x) end
        end
      end
      table.insert(items, {term, {pandoc.Plain(text)}})
    end
  end
  return pandoc.DefinitionList(items)
end

function Header(el)
  if el.level == 1 and not first_h1_seen then
    first_h1_seen = true
    return pandoc.Header(1, "DESCRIPTION")
  end
  if el.level >= 2 then
    local h = pandoc.Header(el.level - 1, el.content)
    if el.level == 2 then
      -- man sections are upper case
      h = pandoc.Header(1, (pandoc.utils.stringify(el.content):upper():gsub(":$", "")))
    end
    return h
  end
  return el
end

function Pandoc(doc)
  local head = {
    pandoc.Header(1, "NAME"),
    pandoc.Para({pandoc.Str("qwikvirt.yaml"), pandoc.Space(), pandoc.Str("-"), pandoc.Space(),
                 pandoc.Str("qwikvirt service definition: switch, ports, VNFs and chains")}),
    pandoc.Header(1, "SYNOPSIS"),
    pandoc.Para({pandoc.Code("qvctl check FILE"), pandoc.Str(","), pandoc.Space(),
                 pandoc.Code("qvctl apply [--check] FILE")}),
  }
  local tail = {
    pandoc.Header(1, "FILES"),
    pandoc.Para({pandoc.Code("/usr/share/doc/qwikvirt/examples/"), pandoc.Space(),
                 pandoc.Str("the examples named above.")}),
    pandoc.Header(1, "SEE ALSO"),
    pandoc.Para({pandoc.Strong({pandoc.Str("qvctl")}), pandoc.Str("(8),"), pandoc.Space(),
                 pandoc.Strong({pandoc.Str("qv-controld")}), pandoc.Str("(8),"), pandoc.Space(),
                 pandoc.Strong({pandoc.Str("qv-switchd")}), pandoc.Str("(8)")}),
  }
  local blocks = {}
  for _, b in ipairs(head) do table.insert(blocks, b) end
  for _, b in ipairs(doc.blocks) do table.insert(blocks, b) end
  for _, b in ipairs(tail) do table.insert(blocks, b) end
  return pandoc.Pandoc(blocks, doc.meta)
end
